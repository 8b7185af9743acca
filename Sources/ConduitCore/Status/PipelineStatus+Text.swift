import Foundation

extension PipelineStatus {
    /// The status as `router status` prints it: one fact per line, aligned, for a terminal.
    public var text: String {
        var lines: [(String, String)] = [("state", "\(state.rawValue) (\(detail))")]
        if let slot {
            if let error = slot.error {
                lines.append(("slot", "\(slot.name): PostgreSQL not reachable (\(error))"))
            } else if !slot.exists {
                lines.append(("slot", "\(slot.name): does not exist"))
            } else {
                var facts = ["confirmed \(slot.confirmedFlushLSN.map { "\($0)" } ?? "-")", slot.active ? "active" : "inactive"]
                if let retained = slot.retainedWALBytes { facts.append("retains \(Self.bytes(retained)) of WAL") }
                if let status = slot.walStatus { facts.append("wal_status \(status)") }
                lines.append(("slot", "\(slot.name): " + facts.joined(separator: ", ")))
            }
        }
        if let ingest {
            lines.append(
                (
                    "ingest",
                    "\(ingestRunning ? "running" : "not running") (pid \(ingest.processID), \(ingest.phase.rawValue)), slot \(ingest.slot) confirmed "
                        + "\(ingest.confirmedLSN.map { "\($0)" } ?? "-"), replication lag \(Self.bytes(ingest.lagBytes)) / \(Self.seconds(ingest.lagSeconds))"
                ))
            let spool = ingest.spool
            lines.append(
                (
                    "spool",
                    "\(spool.segments) segments, \(Self.bytes(spool.bytes)), \(spool.firstSegment?.paddedHex ?? "-") … \(spool.lastSegment?.paddedHex ?? "-"), durable to "
                        + "\(ingest.durable.map { "\($0)" } ?? "-")"
                ))
        } else {
            lines.append(("ingest", "no status (ingest has not run on this storage directory)"))
        }
        if let router {
            lines.append(
                (
                    "router",
                    "\(routerRunning ? "running" : "not running") (pid \(router.processID), \(router.phase.rawValue)), \(router.servePeers.count) serve connected"
                        + (router.servePeers.isEmpty ? "" : " (pids \(router.servePeers.map(String.init).joined(separator: ", ")))")
                ))
        }
        if let checkpoint {
            lines.append(("checkpoint", "\(checkpoint.position), commit end \(checkpoint.commitEndLSN)"))
        } else {
            lines.append(("checkpoint", "none yet"))
        }
        lines.append(("router lag", "\(Self.bytes(routerLagBytes)) / \(Self.seconds(routerLagSeconds))"))
        var shapeFacts = ["\(shapes.count)", Self.bytes(shapes.totalBytes)]
        if let largest = shapes.largest { shapeFacts.append("largest \(largest.handle) (\(Self.bytes(largest.bytes)))") }
        if let oldest = shapes.oldest, let created = oldest.createdAt {
            shapeFacts.append("oldest \(oldest.handle) (\(Self.timestamp(created)))")
        }
        lines.append(("shapes", shapeFacts.joined(separator: ", ")))
        if let serve {
            lines.append(
                (
                    "this serve",
                    "\(serve.instance) (pid \(serve.processID)), router \(serve.routerConnected ? "connected" : "not connected")"
                ))
        }
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n") + "\n"
    }

    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }

    static func timestamp(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}

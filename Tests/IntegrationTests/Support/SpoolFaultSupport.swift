import ConduitCore
import Foundation
import Logging
import Postgres
import Spool
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Helpers of the fault tests of issue 7 (restarts, lost slots, damaged spools, full disks).
extension ConduitCluster {
    /// Launches another ingest on this cluster's storage directory with the cluster's environment
    /// changed by `overrides` (nil removes a variable), logging to the same file. The caller stops it.
    func launchIngest(overrides: [String: String?] = [:]) throws -> ConduitProcess {
        var environment = self.environment
        for (key, value) in overrides { environment[key] = value }
        return try ConduitProcess.launch(
            executablePath: try ConduitProcess.binaryDirectory() + "/ingest",
            environment: environment,
            logPath: ingest.logPath,
            workingDirectory: FileSystem.parentDirectory(of: ingest.logPath))
    }

    /// Launches another router on this cluster's storage directory (same environment and log).
    func launchRouter() throws -> ConduitProcess {
        try ConduitProcess.launch(
            executablePath: try ConduitProcess.binaryDirectory() + "/router",
            environment: environment,
            logPath: router.logPath,
            workingDirectory: FileSystem.parentDirectory(of: router.logPath))
    }

    var spoolDirectory: String { storageDirectory + "/spool" }

    /// The slot's `confirmed_flush_lsn`, nil if the slot does not exist.
    func confirmedFlush() throws -> LSN? {
        let admin = try PostgresConnection(conninfo: databaseURL)
        let result = try admin.execute(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", parameters: [slotName])
        guard let text = result.rows.first?.first ?? nil else { return nil }
        return LSN(string: text)
    }

    /// Waits until PostgreSQL confirmed everything written so far (ingest records idle
    /// keepalive positions about once a second, so this converges while ingest runs).
    func waitUntilConfirmedCurrentWAL(timeout: Duration = .seconds(60)) async throws {
        let sql = try PostgresConnection(conninfo: databaseURL)
        let end = try requireLSN(sql.execute("SELECT pg_current_wal_lsn()::text").rows.first?.first ?? nil)
        try await waitUntil(timeout: timeout) { (try confirmedFlush() ?? .zero) >= end }
    }

    /// Drops the (inactive) slot, retrying while a terminated walsender still holds it.
    func dropSlot() async throws {
        let admin = try PostgresConnection(conninfo: databaseURL)
        try await waitUntil(timeout: .seconds(30)) {
            do {
                try admin.execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1", parameters: [slotName])
                return true
            } catch let error as PostgresError where error.sqlState == "55006" {
                return false
            }
        }
    }
}

/// Parses an LSN or throws naming the text.
func requireLSN(_ text: String?) throws -> LSN {
    guard let text, let lsn = LSN(string: text) else { throw SupportError("not an LSN: \(text ?? "nil")") }
    return lsn
}

extension ConduitProcess {
    /// How many times `text` occurs in the log so far.
    func logCount(_ text: String) -> Int {
        logContents.components(separatedBy: text).count - 1
    }

    /// Waits until the log contains `text`; throws with the log tail otherwise.
    func waitForLog(_ text: String, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !logContents.contains(text) {
            guard ContinuousClock.now < deadline else { throw SupportError("\(name) never logged \"\(text)\"\n\(logTail())") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// The spool as it is on disk, read the way router reads it (tests run this with ingest stopped).
enum SpoolFiles {
    /// Every record up to the durable end, in log order.
    static func records(directory: String) throws -> [SpoolRecord] {
        let writer = try SpoolWriter(directory: directory, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        guard let limit = writer.durablePosition else { return [] }
        let reader = try SpoolReader(directory: directory)
        guard let first = try reader.segments().first else { return [] }
        try reader.openCursor(segment: first)
        var records: [SpoolRecord] = []
        while let batch = try reader.nextRecords(upTo: limit) {
            if !batch.isSchema { records += batch.records }
        }
        return records
    }

    /// The stream-reset records in the spool.
    static func resets(directory: String) throws -> [SpoolStreamReset] {
        try records(directory: directory).filter { $0.kind == .streamReset }.map { try SpoolStreamReset(record: $0) }
    }

    struct Frame {
        var offset: Int
        var size: Int
        var payloadBytes: Int
        /// The stream position after the frame (0 if none).
        var position: UInt64
    }

    /// The complete frames of one segment file, walked by their headers only (layout in
    /// `SpoolFormat`); a torn last frame is left out.
    static func frames(of path: String) throws -> [Frame] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ at: Int) -> Int { Int(bytes[at..<(at + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        func u64(_ at: Int) -> UInt64 { bytes[at..<(at + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        var offset = u32(8) == 1 ? 32 : u32(12)
        var frames: [Frame] = []
        while offset + 32 <= bytes.count, offset + 32 + u32(offset + 4) <= bytes.count {
            let payload = u32(offset + 4)
            frames.append(Frame(offset: offset, size: 32 + payload, payloadBytes: payload, position: u64(offset + 20)))
            offset += 32 + payload
        }
        return frames
    }

    /// The highest stream position any frame on disk records.
    static func lastPosition(directory: String) throws -> UInt64 {
        try SpoolDirectory.segments(in: directory).flatMap { try frames(of: SpoolDirectory.path(of: $0, in: directory)) }.map(\.position)
            .max() ?? 0
    }

    /// Flips one bit of the file at `offset`.
    static func flipBit(in path: String, at offset: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        guard var byte = try handle.read(upToCount: 1)?.first else { throw SupportError("\(path) has no byte \(offset)") }
        byte ^= 0x08
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: [byte])
    }
}

/// Runs `body` with a tmpfs of `megabytes` MiB mounted on `path` (which needs root), and unmounts it
/// afterwards, also when `body` throws. When the mount fails, records an issue and skips `body`.
func withSmallTmpfs(
    at path: String, megabytes: Int = 16, in directory: TemporaryDirectory, _ body: () async throws -> Void
) async throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let mounted = try await OperatorCommand.run(
        "/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path], in: directory)
    guard mounted.status == 0 else {
        Issue.record(
            "cannot mount a \(megabytes) MiB tmpfs on \(path), so the full-disk test did not run (it needs root): \(mounted.output)")
        return
    }
    do {
        try await body()
    } catch {
        _ = try? await OperatorCommand.run("/usr/bin/umount", ["-l", path], in: directory)
        throw error
    }
    _ = try await OperatorCommand.run("/usr/bin/umount", ["-l", path], in: directory)
}

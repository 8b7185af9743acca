import ConduitCore
import Foundation

/// A read-only survey of the spool: its segments, and over all the frames they hold the
/// transactions, row changes per table, stream resets and the LSN range.
///
/// Reads every frame once (decompressing it), so it costs about what router's replay of the
/// whole spool costs, without writing anything. A torn or damaged tail (the last segment of a
/// running ingest, or real damage) ends the survey there, and ``stoppedAt`` says where and why.
public struct SpoolInspection: Codable, Sendable {
    public struct Segment: Codable, Sendable {
        public var key: String
        public var bytes: UInt64
        public var epoch: UInt32?
        public var startsEpoch: Bool
        /// File modification time, seconds since 1970.
        public var modified: Double
    }

    public struct Table: Codable, Sendable {
        public var relationID: UInt32
        public var name: String
        public var inserts = 0
        public var updates = 0
        public var deletes = 0
        public var truncates = 0
    }

    public var directory: String
    public var segments: [Segment] = []
    public var bytes: UInt64 = 0
    public var frames = 0
    public var transactions = 0
    public var changes = 0
    public var streamResets = 0
    /// Commit LSN of the first transaction and commit-end LSN of the last one.
    public var firstCommitLSN: LSN?
    public var lastCommitEndLSN: LSN?
    public var tables: [Table] = []
    /// Where reading stopped before the end of the last segment, and why.
    public var stoppedAt: String?

    /// Surveys the spool in `directory`.
    /// - Throws: when the segment list itself cannot be read.
    public static func inspect(directory: String) throws(SpoolError) -> SpoolInspection {
        var report = SpoolInspection(directory: directory)
        let listed = try SpoolCatalog.list(directory: directory)
        report.segments = listed.map {
            Segment(key: $0.key.paddedHex, bytes: $0.bytes, epoch: $0.epoch?.number, startsEpoch: $0.startsEpoch, modified: $0.modified)
        }
        report.bytes = listed.reduce(0) { $0 + $1.bytes }
        guard let first = listed.first, let last = listed.last else { return report }
        var tables: [UInt32: Table] = [:]
        do {
            let reader = try SpoolReader(directory: directory)
            try reader.openCursor(segment: first.key)
            let end = SpoolDurablePosition(segment: last.key, offset: last.bytes, commitEndLSN: .zero)
            while let batch = try reader.nextRecords(upTo: end) {
                report.frames += 1
                for record in batch.records { report.count(record, tables: &tables) }
            }
        } catch {
            report.stoppedAt = "\(error)"
        }
        report.tables = tables.values.sorted { $0.name < $1.name || ($0.name == $1.name && $0.relationID < $1.relationID) }
        return report
    }

    private mutating func count(_ record: SpoolRecord, tables: inout [UInt32: Table]) {
        switch record.kind {
        case .streamReset:
            streamResets += 1
            return
        case .schema, .pgoutput:
            break
        }
        guard let message = try? record.decode() else { return }
        switch message {
        case .relation(let relation):
            tables[relation.relationID, default: Table(relationID: relation.relationID, name: "")].name =
                "\(relation.namespace).\(relation.name)"
        case .begin(let begin):
            if firstCommitLSN == nil, record.kind == .pgoutput { firstCommitLSN = begin.finalLSN }
        case .commit(let commit):
            transactions += 1
            lastCommitEndLSN = commit.endLSN
        case .insert(let insert):
            changes += 1
            tables[insert.relationID, default: Table(relationID: insert.relationID, name: "?")].inserts += 1
        case .update(let update):
            changes += 1
            tables[update.relationID, default: Table(relationID: update.relationID, name: "?")].updates += 1
        case .delete(let delete):
            changes += 1
            tables[delete.relationID, default: Table(relationID: delete.relationID, name: "?")].deletes += 1
        case .truncate(let truncate):
            for id in truncate.relationIDs { tables[id, default: Table(relationID: id, name: "?")].truncates += 1 }
        default:
            break
        }
    }

    /// The survey as lines for a terminal.
    public var text: String {
        var lines = [
            "spool       \(directory)",
            "segments    \(segments.count), \(bytes) bytes" + (segments.isEmpty ? "" : " (\(segments.first!.key) … \(segments.last!.key))"),
            "frames      \(frames)",
            "transactions \(transactions), \(changes) row changes, \(streamResets) stream resets",
            "LSN range   \(firstCommitLSN.map { "\($0)" } ?? "-") … \(lastCommitEndLSN.map { "\($0)" } ?? "-")",
        ]
        for segment in segments {
            lines.append(
                "  segment \(segment.key)  \(segment.bytes) bytes  epoch \(segment.epoch.map(String.init) ?? "-")\(segment.startsEpoch ? " (starts epoch)" : "")"
            )
        }
        for table in tables {
            lines.append(
                "  table \(table.name) (oid \(table.relationID)): \(table.inserts) inserts, \(table.updates) updates, \(table.deletes) deletes, \(table.truncates) truncates"
            )
        }
        if let stoppedAt { lines.append("stopped at  \(stoppedAt)") }
        return lines.joined(separator: "\n") + "\n"
    }

    init(directory: String) { self.directory = directory }
}

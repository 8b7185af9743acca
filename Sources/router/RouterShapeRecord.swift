import ConduitCore
import Foundation
import WhereClause

/// What router stores per shape besides the shape log, in `shapes/<handle>/router.json`:
/// everything needed to rebuild the shape's meaning at start-up without the database (its
/// identity and the column types its where clause was compiled against), and the snapshot it
/// merges with the stream.
///
/// Version 1 files (before the columns were stored) cannot be rebuilt without the catalog; router
/// removes such shapes at start-up (their clients refetch) rather than serve them unfiltered.
struct RouterShapeRecord: Codable, Sendable {
    static let currentVersion = 2

    /// A column as the where clause was type-checked against it.
    struct Column: Codable, Sendable, Hashable {
        var name: String
        var typeName: String
        var isArray: Bool
        var isEnum: Bool
    }

    var version: Int?
    /// Equal identities ⇔ the same shape (``ResolvedShape/identity``).
    var identity: String?
    var columns: [Column]?
    /// Snapshot visibility while merging with the initial snapshot.
    var visibility: SnapshotVisibility?
    /// Where in the spool the shape's change log begins: the loop's position when its snapshot
    /// was opened. `router replay` rebuilds the change log from here; nil for shapes created
    /// before it was recorded (they cannot be replayed).
    var replayFrom: ReplayOrigin?

    /// The spool position a shape's change log starts after.
    struct ReplayOrigin: Codable, Sendable, Hashable {
        /// The frame boundary (nil: the spool's very beginning, its first segment ever).
        var spool: SpoolPosition?
        /// The end LSN of the last commit before it (the change log's initial `appliedThroughLSN`).
        var commitEnd: LSN
    }

    init(identity: String, columns: [WhereColumn], visibility: SnapshotVisibility, replayFrom: ReplayOrigin? = nil) {
        self.version = Self.currentVersion
        self.identity = identity
        self.columns = columns.map { Column(name: $0.name, typeName: $0.typeName, isArray: $0.isArray, isEnum: $0.isEnum) }
        self.visibility = visibility
        self.replayFrom = replayFrom
    }

    /// The stored columns, or nil for a record from before they were stored.
    var whereColumns: [WhereColumn]? {
        guard (version ?? 1) >= Self.currentVersion else { return nil }
        return columns?.map { WhereColumn(name: $0.name, typeName: $0.typeName, isArray: $0.isArray, isEnum: $0.isEnum) }
    }

    static func path(_ directory: String) -> String { directory + "/router.json" }

    func write(toDirectory directory: String, durable: Bool = true) throws {
        try ChecksummedFile.write(path: Self.path(directory), payload: [UInt8](try JSONEncoder().encode(self)), durable: durable)
    }

    /// The record in `directory`, nil when there is none.
    /// - Throws: on an unreadable or damaged file; ``JSONReadError`` (naming the file) when it is
    ///   not such a record.
    static func read(fromDirectory directory: String) throws -> RouterShapeRecord? {
        let path = path(directory)
        guard let bytes = try ChecksummedFile.read(path: path) else { return nil }
        do {
            return try RouterShapeRecord(jsonBytes: bytes)
        } catch {
            throw error.reading(path)
        }
    }
}

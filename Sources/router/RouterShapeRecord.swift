import ConduitCore
import Foundation
import WhereClause

/// What router stores per shape besides the shape log, in the shape's document (the first frame
/// of `changes.log`, ``ChangeLogDocument``; `shape.json` for shapes of earlier releases) under the
/// key ``ShapeMetadata/routerRecordKey`` (in `router.json` for shapes created before that):
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

    /// Where shapes created before the record moved into `shape.json` keep it.
    static func legacyPath(_ directory: String) -> String { directory + "/router.json" }

    /// A shape folder's definition and router's record of it, read from one document (the
    /// record under ``ShapeMetadata/routerRecordKey``; ``ShapeMetadata/read(fromDirectory:)``
    /// says where), or from `router.json` beside it for a shape created before; nil when the
    /// folder has no document. The record is nil when neither
    /// file holds one.
    /// - Throws: on an unreadable or damaged file; ``JSONReadError`` (naming the file) when it
    ///   does not hold such a definition or record.
    static func readShape(fromDirectory directory: String) throws -> (metadata: ShapeMetadata, record: RouterShapeRecord?)? {
        guard let (metadata, record) = try ShapeMetadata.read(fromDirectory: directory, routerRecord: RouterShapeRecord.self) else {
            return nil
        }
        if let record { return (metadata, record) }
        return (metadata, try readLegacy(fromDirectory: directory))
    }

    /// The record in `router.json`, nil when there is none.
    static func readLegacy(fromDirectory directory: String) throws -> RouterShapeRecord? {
        let path = legacyPath(directory)
        guard let bytes = try ChecksummedFile.read(path: path) else { return nil }
        do {
            return try RouterShapeRecord(jsonBytes: bytes)
        } catch {
            throw error.reading(path)
        }
    }
}

/// Every path under `$CONDUIT_STORAGE_DIR`, in one place.
///
/// ```
/// <root>/spool/<16 hex>.spool      ingest's transaction spool (segments named by base LSN)
/// <root>/shapes/<handle>/          one folder per shape (see ShapeLog)
/// <root>/shapes/.states           every shape's committed change-log state (ShapeStateTable)
/// <root>/router.checkpoint         router's applied spool position (atomic file, JSON)
/// <root>/ingest.sock               ingest → router: durable positions
/// <root>/router.sock               serve ⇄ router: shape requests and notifications
/// <root>/ingest.status             ingest's status, rewritten in place every second (JSON padded to whole pages)
/// <root>/router.status             router's status, rewritten in place every second (JSON padded to whole pages)
/// ```
public struct StorageLayout: Sendable, Hashable {
    public var root: String

    public init(root: String) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    public var spoolDirectory: String { root + "/spool" }
    public var shapesDirectory: String { root + "/shapes" }
    public func shapeDirectory(_ handle: String) -> String { shapesDirectory + "/" + handle }
    /// Inside `shapes/` (a handle never starts with a dot), so a serve process that shares only
    /// that folder reads everything it serves.
    public var shapeStates: String { shapesDirectory + "/.states" }
    /// router's ``CommitJournal``.
    public var commitJournal: String { shapesDirectory + "/.journal" }
    public var routerCheckpoint: String { root + "/router.checkpoint" }
    public var ingestSocket: String { root + "/ingest.sock" }
    public var routerSocket: String { root + "/router.sock" }
    public var ingestStatus: String { root + "/ingest.status" }
    public var routerStatus: String { root + "/router.status" }
}

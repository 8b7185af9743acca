import ConduitCore
import Foundation
import Logging
import Spool
import WhereClause

@testable import Router

/// A ``RouterEngine`` on a storage directory of its own, without PostgreSQL (nothing asked of it
/// here reaches the database), and shapes registered on it directly: for tests and benchmarks
/// that drive the routing path in-process. Large commits flush the file system unless
/// `commitJournal` (router's default) makes them append to the ``CommitJournal``.
enum RouterTestEngine {
    static func make(
        directory: String,
        notify: @escaping @Sendable (RouterToServe) -> Void = { _ in },
        reportConsumed: @escaping @Sendable (LSN) -> Void = { _ in },
        commitJournal: Bool = false
    ) throws -> RouterEngine {
        let configuration = try RouterConfiguration(
            environment: EnvironmentReader([
                "DATABASE_URL": "postgresql://unused", "CONDUIT_STORAGE_DIR": directory,
                "CONDUIT_COMMIT_JOURNAL": commitJournal ? "true" : "false",
            ]))
        let services = RouterServices(
            inbox: RouterInbox(),
            progress: RouterProgress(),
            catalog: WorkerPool(name: "test-catalog", threads: 1, capacity: 1) {
                ShapeResolver(databaseURL: configuration.databaseURL, timeouts: configuration.database, limits: configuration.whereLimits)
            },
            snapshots: WorkerPool(name: "test-snapshot", threads: 1, capacity: 1) {
                SnapshotWorker(databaseURL: configuration.databaseURL, timeouts: configuration.database)
            },
            notify: notify,
            reportConsumed: reportConsumed
        )
        return try RouterEngine(configuration: configuration, services: services, stop: StopSignal(), logger: Logger(label: "test"))
    }

    /// Registers shape `handle` on table `public.items` (relation 1, key `id`) with `columns` and
    /// the where clause `text`, compiled against `whereColumns`.
    @discardableResult
    static func register(
        _ engine: RouterEngine, handle: String, columns: [String], whereColumns: [WhereColumn], clause text: String,
        params: [Int: String]
    ) throws -> ActiveShape {
        let compiled = CompiledFilter(clause: try WhereClause.compile(text, columns: whereColumns, params: params))
        let directory = engine.configuration.storage.shapeDirectory(handle)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let metadata = ShapeMetadata(
            handle: handle, definition: ShapeDefinition(schema: "public", table: "items", whereClause: text, params: params),
            relationID: 1, primaryKey: ["id"], columns: columns, schemaHeader: "{}", normalizedWhere: compiled.normalized)
        let shape = ActiveShape(
            metadata: metadata, changes: try ChangeLogWriter(directory: directory, chunkThresholdBytes: 10 << 20),
            filter: compiled.rowFilter, visibility: nil)
        engine.register(shape, identity: handle, conditions: compiled.indexable)
        return shape
    }
}

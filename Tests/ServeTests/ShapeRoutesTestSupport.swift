import ConduitCore
import Foundation
import Hummingbird
import Logging
import Synchronization

@testable import Serve

/// A router stand-in: answers every definition with `answer`.
struct FakeResolver: ShapeResolver {
    let answer: @Sendable (ShapeDefinition) throws -> ShapeResolution

    func resolveShape(_ definition: ShapeDefinition) async throws -> ShapeResolution {
        try answer(definition)
    }
}

/// A temporary storage directory with shapes written by the real shape-log writers, and the
/// routes serving it.
final class RoutesFixture: Sendable {
    let root: String
    let layout: StorageLayout
    let notifier = LiveNotifier()
    let routes: ShapeRoutes
    static let definition = ShapeDefinition(schema: "public", table: "items")
    static let schema = "{\"id\":{\"type\":\"int4\",\"pk_index\":0}}"

    init(
        longPollTimeout: Duration = .seconds(20),
        snapshotTimeout: Duration = .seconds(30),
        sseTimeout: Duration = .seconds(60),
        resolver: @escaping @Sendable (ShapeDefinition) throws -> ShapeResolution = { _ in .handle("h1") }
    ) {
        root = FileManager.default.temporaryDirectory.path + "/serve-" + UUID().uuidString
        layout = StorageLayout(root: root)
        var configuration = ServeConfiguration()
        configuration.storageDirectory = root
        configuration.longPollTimeout = longPollTimeout
        configuration.snapshotTimeout = snapshotTimeout
        configuration.sseTimeout = sseTimeout
        routes = ShapeRoutes(
            configuration: configuration,
            catalog: ShapeCatalog(layout: layout),
            notifier: notifier,
            resolver: FakeResolver(answer: resolver)
        )
    }

    /// Routes of a second serve on `other`'s storage (which removes it).
    init(sharing other: RoutesFixture) {
        root = other.root + "/unused"
        layout = other.layout
        routes = ShapeRoutes(
            configuration: other.routes.configuration, catalog: ShapeCatalog(layout: layout), notifier: notifier,
            resolver: FakeResolver(answer: { _ in .handle("h1") }))
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Creates shape `handle` with `rows` in a finished snapshot (unless `finished` is false).
    func makeShape(_ handle: String = "h1", rows: [String], finished: Bool = true) throws {
        let directory = layout.shapeDirectory(handle)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try ShapeMetadata(
            handle: handle,
            definition: Self.definition,
            relationID: 1,
            primaryKey: ["id"],
            columns: ["id"],
            schemaHeader: Self.schema,
            normalizedWhere: nil
        ).write(toDirectory: directory)
        guard finished else { return }
        let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 1 << 20)
        for row in rows { try writer.append(row: Array(row.utf8)) }
        try writer.finish(snapshotEnd: Array(Self.snapshotEnd.utf8))
    }

    static let snapshotEnd = "{\"headers\":{\"control\":\"snapshot-end\",\"xmin\":\"1\",\"xmax\":\"1\",\"xip_list\":[]}}"

    func changeWriter(_ handle: String = "h1") throws -> ChangeLogWriter {
        try ChangeLogWriter(directory: layout.shapeDirectory(handle), chunkThresholdBytes: 1 << 20)
    }

    func get(_ query: String, ifNoneMatch: [String] = []) async -> Response {
        await routes.respond(
            query: query, ifNoneMatch: ifNoneMatch, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }
}

extension ShapeRoutes {
    /// The response to a shape request with raw query `query`, driven as serve drives it (a live
    /// request parked between its waits).
    func respond(query: String?, ifNoneMatch: [String], logger: Logger) async -> Response {
        let first = await step(query: query, ifNoneMatch: ifNoneMatch, logger: logger)
        return await withCheckedContinuation { continuation in
            Task { await self.drive(first) { continuation.resume(returning: $0) } }
        }
    }
}

/// Collects a response body written by ``Response/bodyText()``.
final class BodyBox: Sendable {
    let bytes = Mutex<[UInt8]>([])
}

extension Response {
    /// The body as text.
    func bodyText() async throws -> String {
        let box = BodyBox()
        try await body.write(BodyCollector(box: box))
        return String(decoding: box.bytes.withLock { $0 }, as: UTF8.self)
    }
}

struct BodyCollector: ResponseBodyWriter {
    let box: BodyBox

    mutating func write(_ buffer: ByteBuffer) async throws {
        box.bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

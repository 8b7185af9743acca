import Hummingbird
import Logging
import Synchronization
import Testing

@testable import Serve

/// Records the size of every write of a response body.
struct WriteSizeRecorder: ResponseBodyWriter {
    final class Sizes: Sendable {
        let values = Mutex<[Int]>([])
    }

    let sizes = Sizes()

    mutating func write(_ buffer: ByteBuffer) async throws { sizes.values.withLock { $0.append(buffer.readableBytes) } }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// A large chunk goes out in writes of about one window, so a client that stops reading makes
/// serve hold a window or two, not the chunk (each write waits for the connection to drain).
struct ShapeResponseWindowTests {
    @Test func chunkIsWrittenOneWindowAtATime() async throws {
        let fixture = RoutesFixture()
        let row = "{\"pad\":\"" + String(repeating: "x", count: 2000) + "\"}"
        try fixture.makeShape(rows: Array(repeating: row, count: 200))
        var configuration = fixture.routes.configuration
        configuration.responseWindowBytes = 16 * 1024
        let routes = ShapeRoutes(
            configuration: configuration,
            catalog: fixture.routes.catalog,
            notifier: fixture.notifier,
            resolver: fixture.routes.resolver
        )
        let response = await routes.respond(
            query: "table=items&offset=-1",
            ifNoneMatch: [],
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let recorder = WriteSizeRecorder()
        try await response.body.write(recorder)
        let sizes = recorder.sizes.values.withLock { $0 }
        #expect(sizes.reduce(0, +) > 200 * 2000)
        #expect(sizes.count > 20)
        #expect(sizes.allSatisfy { $0 <= 16 * 1024 + row.utf8.count })
    }
}

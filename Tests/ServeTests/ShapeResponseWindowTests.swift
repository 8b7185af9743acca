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

/// A large chunk goes out in writes of about one window (two while serve's budget for double
/// windows lasts), so a client that stops reading makes serve hold a window or two, not the chunk
/// (each write waits for the connection to drain).
struct ShapeResponseWindowTests {
    static let row = "{\"pad\":\"" + String(repeating: "x", count: 2000) + "\"}"

    /// The sizes of the writes of a 200-row response with 16 KiB windows and `budget`.
    static func writeSizes(budget: Int?) async throws -> [Int] {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: Array(repeating: row, count: 200))
        var configuration = fixture.routes.configuration
        configuration.responseWindowBytes = 16 * 1024
        let routes = ShapeRoutes(
            configuration: configuration,
            catalog: fixture.routes.catalog,
            notifier: fixture.notifier,
            resolver: fixture.routes.resolver,
            windows: ResponseWindows(base: configuration.responseWindowBytes, budget: budget)
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
        #expect(routes.windows.unused == routes.windows.budget, "every grant went back")
        return sizes
    }

    @Test func chunkIsWrittenOneWindowAtATimeWithoutBudget() async throws {
        let sizes = try await Self.writeSizes(budget: 0)
        #expect(sizes.count > 20)
        #expect(sizes.allSatisfy { $0 <= 16 * 1024 + Self.row.utf8.count })
    }

    @Test func chunkIsWrittenTwoWindowsAtATimeWithinTheBudget() async throws {
        let sizes = try await Self.writeSizes(budget: nil)
        #expect(sizes.count > 10)
        #expect(sizes[0] <= 16 * 1024 + Self.row.utf8.count, "the first window, read before the headers, is one window")
        #expect(sizes.dropFirst().allSatisfy { $0 <= 32 * 1024 + Self.row.utf8.count })
        #expect(sizes.dropFirst().dropLast().allSatisfy { $0 > 16 * 1024 }, "the windows after it are double")
    }
}

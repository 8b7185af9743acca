import ConduitCore
import Foundation
import Hummingbird
import Logging
import Synchronization
import Testing

@testable import Serve

/// A router stand-in that holds every request until ``release()``.
final class HeldResolver: ShapeResolver {
    private let waiting = Mutex<[CheckedContinuation<Void, Never>]>([])
    private let released = Mutex(false)

    var heldCount: Int { waiting.withLock { $0.count } }

    func resolveShape(_ definition: ShapeDefinition) async throws -> ShapeResolution {
        await withCheckedContinuation { continuation in
            let resumeNow = released.withLock { isReleased in
                if !isReleased { waiting.withLock { $0.append(continuation) } }
                return isReleased
            }
            if resumeNow { continuation.resume() }
        }
        return .handle("h1")
    }

    func release() {
        released.withLock { $0 = true }
        for continuation in waiting.withLock({ $0 }) { continuation.resume() }
    }
}

struct ShapeCreationLimitTests {
    @Test(.timeLimit(.minutes(1))) func requestsBeyondTheLimitAreRefusedWith503() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: ["{\"key\":\"1\"}"])
        var configuration = fixture.routes.configuration
        configuration.maxShapeCreations = 1
        let router = HeldResolver()
        let routes = ShapeRoutes(
            configuration: configuration, catalog: fixture.routes.catalog, notifier: fixture.notifier, resolver: router)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

        let first = Task { await routes.respond(query: "table=items&offset=-1", ifNoneMatch: [], logger: logger) }
        while router.heldCount == 0 { await Task.yield() }
        let refused = await routes.respond(query: "table=items&offset=-1", ifNoneMatch: [], logger: logger)
        #expect(refused.status == .serviceUnavailable)
        #expect((6...10).contains(Int(refused.headers[.retryAfter] ?? "") ?? 0))
        #expect(refused.headers[.electricInternalKnownError] == "true")
        #expect(
            try await refused.bodyText()
                == "{\"code\":\"concurrent_request_limit_exceeded\",\"message\":\"Concurrent shape creation limit exceeded (limit: 1), please retry\"}"
        )
        // A request naming a handle serve knows does not ask router, so it is not limited.
        let existing = await routes.respond(query: "table=items&offset=0_0&handle=h1", ifNoneMatch: [], logger: logger)
        #expect(existing.status == .ok)

        router.release()
        #expect(await first.value.status == .ok)
        #expect(routes.creations.current == 0)
        #expect(await routes.respond(query: "table=items&offset=-1", ifNoneMatch: [], logger: logger).status == .ok)
    }
}

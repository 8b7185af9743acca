import ConduitCore
import Hummingbird
import Testing

@testable import Serve

/// SIGTERM's part in the routes: ``LiveNotifier/beginShutdown()`` answers waiting requests.
struct ShapeRoutesShutdownTests {
    static func caughtUpFixture() throws -> RoutesFixture {
        let fixture = RoutesFixture(longPollTimeout: .seconds(3600), sseTimeout: .seconds(3600))
        try fixture.makeShape(rows: ["{\"key\":\"1\"}"])
        fixture.notifier.receive(.lastSeenLSN(LSN(1000)))
        return fixture
    }

    @Test(.timeLimit(.minutes(1))) func waitingLongPollAnswersUpToDateAtOnce() async throws {
        let fixture = try Self.caughtUpFixture()
        let pending = Task { await fixture.get("table=items&offset=1000_0&handle=h1&live=true") }
        while fixture.notifier.waiterCount == 0 { await Task.yield() }
        fixture.notifier.beginShutdown()
        let response = await pending.value
        #expect(response.status == .ok)
        #expect(response.headers[.electricUpToDate] == "")
        #expect(response.headers[.electricHasData] == "false")
        #expect(try await response.bodyText() == "[" + ShapeRoutesTests.upToDate(1000) + "]")
        #expect(fixture.notifier.waiterCount == 0)
    }

    @Test(.timeLimit(.minutes(1))) func liveRequestsArrivingDuringShutdownDoNotWait() async throws {
        let fixture = try Self.caughtUpFixture()
        fixture.notifier.beginShutdown()
        let response = await fixture.get("table=items&offset=1000_0&handle=h1&live=true")
        #expect(response.status == .ok)
        #expect(response.headers[.electricUpToDate] == "")
    }

    @Test(.timeLimit(.minutes(1))) func sseStreamEnds() async throws {
        let fixture = try Self.caughtUpFixture()
        let response = await fixture.get("table=items&offset=1000_0&handle=h1&live=true&live_sse=true")
        let body = Task { try await response.bodyText() }
        while fixture.notifier.waiterCount == 0 { await Task.yield() }
        fixture.notifier.beginShutdown()
        #expect(try await body.value == "")
    }

    @Test(.timeLimit(.minutes(1))) func requestWaitingForASnapshotIsSentElsewhere() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: [], finished: false)
        let pending = Task { await fixture.get("table=items&offset=-1") }
        while fixture.notifier.waiterCount == 0 { await Task.yield() }
        fixture.notifier.beginShutdown()
        let response = await pending.value
        #expect(response.status == .serviceUnavailable)
        #expect(response.headers[.retryAfter] == "1")
    }
}

import ConduitCore
import Foundation
import NIOHTTP1
import Testing

@testable import Serve

/// The real server in process: keep-alive for live requests (issue 9), the connection limit and
/// graceful stop (issues 6 and 8).
@Suite(.timeLimit(.minutes(2)))
struct ServeServerTests {
    static func caughtUpFixture(longPollTimeout: Duration) throws -> RoutesFixture {
        let fixture = RoutesFixture(longPollTimeout: longPollTimeout)
        try fixture.makeShape(rows: ["{\"key\":\"1\"}"])
        fixture.notifier.receive(.lastSeenLSN(LSN(1000)))
        return fixture
    }

    static let livePoll = "/v1/shape?table=items&offset=1000_0&handle=h1&live=true"

    /// Appends `json` to shape h1's change log at transaction `tx`, commits it and tells the
    /// notifier, as router would.
    static func commitChange(_ json: String, at tx: Int64, to fixture: RoutesFixture) throws {
        let writer = try fixture.changeWriter()
        try writer.append(offset: LogOffset(tx: tx, op: 0), json: Array(json.utf8))
        try writer.commit(appliedThroughLSN: LSN(UInt64(tx)))
        fixture.notifier.receive(.shapeAdvanced(handle: "h1"))
    }

    /// Sends a live request and returns once it waits for changes. The fixture's long-poll
    /// timeout must leave time to see it waiting: a wait that ended first is never seen, and this
    /// fails after 30 s instead of looking forever.
    static func startLivePoll(on connection: inout TestHTTPConnection, _ fixture: RoutesFixture) async throws {
        try await connection.send(livePoll)
        let deadline = ContinuousClock.now + .seconds(30)
        while fixture.notifier.waiterCount == 0 {
            try #require(ContinuousClock.now < deadline, "the live request was never seen waiting")
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func fiftyLivePollsShareOneConnection() async throws {
        let fixture = try Self.caughtUpFixture(longPollTimeout: .milliseconds(20))
        try await RunningServe.with(fixture) { serve in
            let answered = try await serve.withConnection { connection in
                var answered = 0
                for _ in 0..<50 {
                    guard let response = try await connection.get(Self.livePoll) else { break }
                    #expect(response.head.status == .ok)
                    #expect(response.head.headers["electric-up-to-date"] == [""])
                    #expect(!response.head.headers[canonicalForm: "connection"].contains("close"))
                    answered += 1
                }
                return answered
            }
            #expect(answered == 50)
            #expect(serve.application.connections.accepted == 1)
        }
    }

    /// Data responses in between long-poll timeouts do not close the connection either.
    @Test func liveResponseWithDataKeepsTheConnection() async throws {
        let fixture = try Self.caughtUpFixture(longPollTimeout: .seconds(3600))
        try await RunningServe.with(fixture) { serve in
            try await serve.withConnection { connection in
                try await Self.startLivePoll(on: &connection, fixture)
                try Self.commitChange("{\"c\":4}", at: 1200, to: fixture)
                let data = try await connection.response()
                #expect(data?.body == "[{\"c\":4}," + ShapeRoutesTests.upToDate(1200) + "]")
                let next = try await connection.get("/v1/shape?table=items&offset=0_0&handle=h1")
                #expect(next?.head.status == .ok)
            }
            #expect(serve.application.connections.accepted == 1)
        }
    }

    @Test func clientLeavingMidLongPollFreesItsWaiter() async throws {
        let fixture = try Self.caughtUpFixture(longPollTimeout: .seconds(3600))
        try await RunningServe.with(fixture) { serve in
            try await serve.withConnection { connection in
                try await Self.startLivePoll(on: &connection, fixture)
            }
            while serve.application.connections.count > 0 || fixture.notifier.waiterCount > 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            // Longer than a wait slice (ShapeSession.recheckInterval): a session still running
            // would have registered again by now.
            try await Task.sleep(for: ShapeSession.recheckInterval * 2)
            #expect(fixture.notifier.waiterCount == 0)
        }
    }

    @Test func connectionsOverTheLimitAreAnswered503() async throws {
        let fixture = try Self.caughtUpFixture(longPollTimeout: .milliseconds(20))
        try await RunningServe.with(fixture, configure: { $0.maxConnections = 1 }) { serve in
            try await serve.withConnection { first in
                #expect(try await first.get("/v1/health")?.head.status == .accepted)
                // serve answers once the request arrives, or after a second without it (on a busy
                // machine that second may pass first): read it as raw bytes either way.
                let refused = try await serve.rawExchange("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(refused.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
                #expect(refused.contains("\r\nretry-after: "))
                #expect(refused.contains("concurrent_connection_limit_exceeded"))
                #expect(try await first.get("/v1/health")?.head.status == .accepted)
            }
        }
    }

    /// Long-poll and shutdown timeouts of an hour: the up-to-date answer can only come from the
    /// stop waking the request, however busy the machine is.
    @Test func gracefulStopAnswersWaitingLongPollsAndClosesConnections() async throws {
        let fixture = try Self.caughtUpFixture(longPollTimeout: .seconds(3600))
        try await RunningServe.with(fixture, configure: { $0.shutdownTimeout = .seconds(3600) }) { serve in
            try await serve.withConnection { connection in
                try await Self.startLivePoll(on: &connection, fixture)
                await serve.group.triggerGracefulShutdown()
                let response = try await connection.response()
                #expect(response?.head.status == .ok)
                #expect(response?.head.headers["electric-up-to-date"] == [""])
                #expect(response?.head.headers["connection"] == ["close"])
                #expect(try await connection.response() == nil, "the server closes the connection after it")
            }
        }
    }

    /// A client that stops reading mid-response cannot hold serve past the shutdown timeout: its
    /// connection is closed then, and the server stops without the service group's cancellation.
    /// (Without the bound this test would never finish.)
    @Test func stalledResponseIsCutAfterTheShutdownTimeout() async throws {
        let fixture = RoutesFixture(resolver: { _ in .handle("big") })
        let directory = fixture.layout.shapeDirectory("big")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try ShapeMetadata(
            handle: "big",
            definition: RoutesFixture.definition,
            relationID: 1,
            primaryKey: ["id"],
            columns: ["id"],
            schemaHeader: RoutesFixture.schema,
            normalizedWhere: nil
        ).write(toDirectory: directory)
        // One 8 MB chunk: more than the kernel buffers between the two sockets.
        let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: 64 << 20)
        let row = Array(("{\"pad\":\"" + String(repeating: "x", count: 800_000) + "\"}").utf8)
        for _ in 0..<10 { try writer.append(row: row) }
        try writer.finish(snapshotEnd: Array(RoutesFixture.snapshotEnd.utf8))

        try await RunningServe.with(fixture, configure: { $0.shutdownTimeout = .milliseconds(200) }) { serve in
            try await serve.withConnection(reading: false) { connection in
                try await connection.send("/v1/shape?table=items&offset=-1")
                while serve.application.connections.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
                try await Task.sleep(for: .milliseconds(300))
                await serve.group.triggerGracefulShutdown()
                while serve.application.connections.count > 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
        }
    }
}

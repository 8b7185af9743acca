import Foundation
import Testing

/// Graceful stop (issue 8): on SIGTERM under load serve stops accepting, answers waiting
/// long-polls at once with their normal up-to-date response, ends SSE streams, finishes the
/// responses in flight and exits 0 within the shutdown timeout.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct ServeShutdownTests {
    @Test func sigtermAnswersWaitingRequestsAndExitsCleanly() async throws {
        let seed = "INSERT INTO items SELECT g, 'row' FROM generate_series(1, 200) g"
        try await ItemsCluster.with(label: "shutdown", seed: seed) { cluster, _, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items")
            try await follower.syncUntilUpToDate()
            let live = "/v1/shape?table=items&handle=\(try #require(follower.handle))&offset=\(follower.offset)&live=true"

            let longPolls = try (0..<5).map { _ in try RawHTTPConnection.connect(port: cluster.port) }
            for connection in longPolls { try connection.sendGet(live) }
            let stream = try RawHTTPConnection.connect(port: cluster.port)
            try stream.sendGet(live + "&live_sse=true")
            defer { (longPolls + [stream]).forEach { $0.close() } }
            let load = RequestLoop.start(port: cluster.port, target: "/v1/shape?table=items&offset=-1")
            try await Task.sleep(for: .seconds(1))

            let stopped = ContinuousClock.now
            cluster.serve.terminate()
            for connection in longPolls {
                let response = try #require(try await connection.response(timeout: .seconds(10)))
                #expect(response.status == 200)
                #expect(response.headers["electric-up-to-date"] == "")
                #expect(response.text.contains("\"control\":\"up-to-date\""))
            }
            let sse = try #require(try await stream.response(timeout: .seconds(10)))
            #expect(sse.headers["content-type"] == "text/event-stream")
            let answered = stopped.duration(to: .now)
            #expect(answered < .seconds(5), "long-polls answered at once, not after the 20 s timeout: \(answered)")

            let status = await cluster.serve.waitForExit(timeout: .seconds(20))
            #expect(status == 0, "\(cluster.serve.logTail())")
            #expect(stopped.duration(to: .now) < .seconds(11))
            let outcomes = await load.stop()
            #expect(outcomes.contains { $0.ending == .answered(200) })
            let bad = outcomes.filter { $0.ending != .answered(200) && $0.ending != .notTaken }
            #expect(bad.isEmpty, "every request serve took was answered whole: \(bad.map(\.ending))")
        }
    }
}

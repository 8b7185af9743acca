import Foundation
import Testing

/// Graceful stop (issue 8): on SIGTERM under load serve stops accepting, answers waiting
/// long-polls at once with their normal up-to-date response, ends SSE streams, finishes the
/// responses in flight and exits 0.
///
/// The long-poll timeout is ten minutes, so an up-to-date answer can only come from the stop;
/// no wall-clock bound is checked here, since a busy test machine delays this process rather than
/// serve (the shutdown timeout is tested in process, in ServeServerTests).
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct ServeShutdownTests {
    @Test func sigtermAnswersWaitingRequestsAndExitsCleanly() async throws {
        let seed = "INSERT INTO items SELECT g, 'row' FROM generate_series(1, 200) g"
        let environment = ["CONDUIT_LONG_POLL_TIMEOUT": "600000"]
        try await ItemsCluster.with(label: "shutdown", seed: seed, environment: environment) { cluster, _, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items")
            try await follower.syncUntilUpToDate()
            let live = "/v1/shape?table=items&handle=\(try #require(follower.handle))&offset=\(follower.offset)&live=true"

            let longPolls = try (0..<5).map { _ in try RawHTTPConnection.connect(port: cluster.port) }
            for connection in longPolls { try connection.sendGet(live) }
            let stream = try RawHTTPConnection.connect(port: cluster.port)
            try stream.sendGet(live + "&live_sse=true")
            defer { (longPolls + [stream]).forEach { $0.close() } }
            let load = RequestLoop.start(port: cluster.port, target: "/v1/shape?table=items&offset=-1")
            try await waitUntil(timeout: .seconds(60)) { load.recorded.contains { $0.ending == .answered(200) } }
            try await Task.sleep(for: .milliseconds(500))

            cluster.serve.terminate()
            for connection in longPolls {
                let response = try #require(try await connection.response(timeout: .seconds(120)))
                #expect(response.status == 200)
                #expect(response.headers["electric-up-to-date"] == "")
                #expect(response.text.contains("\"control\":\"up-to-date\""))
            }
            let sse = try #require(try await stream.response(timeout: .seconds(120)))
            #expect(sse.headers["content-type"] == "text/event-stream")

            let status = await cluster.serve.waitForExit(timeout: .seconds(120))
            #expect(status == 0, "\(cluster.serve.logTail())")
            let outcomes = await load.stop()
            let bad = outcomes.filter { $0.ending != .answered(200) && $0.ending != .notTaken }
            #expect(bad.isEmpty, "every request serve took was answered whole: \(bad.map(\.ending))")
        }
    }
}

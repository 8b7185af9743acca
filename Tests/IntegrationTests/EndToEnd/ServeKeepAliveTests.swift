import Foundation
import TestSupport
import Testing

/// Live responses keep the connection open (issue 9): a client long-polling over one keep-alive
/// connection uses that one connection for every poll, whether a poll ends with data or with the
/// long-poll timeout.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct ServeKeepAliveTests {
    @Test func fiftyLivePollsUseOneConnection() async throws {
        let seed = "INSERT INTO items SELECT g, 'seed' FROM generate_series(1, 3) g"
        try await ItemsCluster.with(label: "keepalive", seed: seed, environment: ["CONDUIT_LONG_POLL_TIMEOUT": "300"]) { cluster, sql, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items")
            try await follower.syncUntilUpToDate()
            let handle = try #require(follower.handle)
            var offset = follower.offset
            var cursor = follower.cursor ?? "0"

            let connection = try RawHTTPConnection.connect(port: cluster.port)
            defer { connection.close() }
            var withData = 0
            for round in 0..<50 {
                if round % 10 == 5 { try sql.execute("INSERT INTO items VALUES (\(100 + round), 'live')") }
                try connection.sendGet(
                    "/v1/shape?table=items&handle=\(handle)&offset=\(offset)&live=true&cursor=\(cursor)"
                )
                guard let response = try await connection.response() else {
                    Issue.record("serve closed the connection after \(round) live polls")
                    return
                }
                #expect(response.status == 200, "\(response)")
                #expect(response.headers["connection"] == nil)
                offset = response.headers["electric-offset"] ?? offset
                cursor = response.headers["electric-cursor"] ?? cursor
                if response.text.contains("\"live\"") { withData += 1 }
            }
            #expect(withData >= 1, "some polls returned rows inserted meanwhile")
        }
    }
}

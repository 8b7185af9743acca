import Foundation
import Postgres
import TestSupport
import Testing

/// `DELETE /v1/shape` (protocol.md §8.8): 405 unless enabled; then 202 and the shape's clients —
/// a waiting live request included — get 409 and a new handle.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct ShapeDeletionTests {
    /// One cluster with deletion enabled (each cluster costs a database and three processes); the
    /// 405 without it is checked on ``SubsetSnapshotTests``' cluster.
    @Test func shapeDeletion() async throws {
        // A long-poll far longer than the test needs: a busy test machine must not turn the waiting
        // live request into a timeout before the deletion reaches it.
        let environment = ["CONDUIT_ALLOW_SHAPE_DELETION": "true", "CONDUIT_LONG_POLL_TIMEOUT": "50000"]
        try await TasksCluster.with(label: "delete", environment: environment) { cluster, sql, _ in
            try await Self.deletionRemovesTheShapeAndItsClientsRefetch(cluster, sql)
            try await Self.invalidDeletionsAre400s(cluster, sql)
        }
    }

    static func disabledByDefault(_ cluster: ConduitCluster, _ sql: PostgresConnection) async throws {
        let response = try await cluster.client.request("DELETE", "/v1/shape?table=tasks")
        #expect(response.status == 405)
        #expect(response.text == #"{"message":"DELETE not allowed"}"#)
        #expect(response.headers["cache-control"] == "no-cache")
    }

    static func deletionRemovesTheShapeAndItsClientsRefetch(_ cluster: ConduitCluster, _ sql: PostgresConnection) async throws {
        let follower = ShapeFollower(client: cluster.client, table: "tasks", where: "priority > 1")
        try await follower.syncUntilUpToDate()
        let handle = try #require(follower.handle)
        let parameters = follower.requestParameters(live: true)
        let client = cluster.client
        let waiting = Task { try await client.shape(parameters) }
        try await Task.sleep(for: .milliseconds(300))

        let mismatch = try await cluster.client.request(
            "DELETE", "/v1/shape" + HTTPClient.query([("table", "tasks"), ("where", "priority > 1"), ("handle", "other-1")]))
        #expect(mismatch.status == 400)
        #expect(
            mismatch.text
                == #"{"message":"The specified shape definition and handle do not match. Please ensure the shape definition is correct or omit the shape handle from the request to obtain a new one."}"#
        )

        let deleted = try await cluster.client.request(
            "DELETE", "/v1/shape" + HTTPClient.query([("table", "tasks"), ("where", "priority > 1")]))
        #expect(deleted.status == 202, "\(deleted)")
        #expect(deleted.body.isEmpty)
        #expect(deleted.headers["cache-control"] == "no-cache")

        let live = try await waiting.value
        #expect(live.status == 409, "the waiting live request: \(live)")
        #expect(live.text == #"[{"headers":{"control":"must-refetch"}}]"#)

        let stale = try await cluster.client.shape([("table", "tasks"), ("where", "priority > 1"), ("offset", "0_0"), ("handle", handle)])
        #expect(stale.status == 409, "\(stale)")
        let fresh = try #require(stale.headers["electric-handle"])
        #expect(fresh != handle, "a new shape with a new handle")

        let again = try await cluster.client.request("DELETE", "/v1/shape?handle=\(handle)")
        #expect(again.status == 404)
        #expect(again.text == #"{"message":"No existing shape found"}"#)
        let byHandle = try await cluster.client.request("DELETE", "/v1/shape?handle=\(fresh)")
        #expect(byHandle.status == 202, "\(byHandle)")
        let none = try await cluster.client.request("DELETE", "/v1/shape?table=tasks&where=id%20%3D%2099999")
        #expect(none.status == 404, "never creates a shape: \(none)")
    }

    static func invalidDeletionsAre400s(_ cluster: ConduitCluster, _ sql: PostgresConnection) async throws {
        let cases: [(String, String)] = [
            ("", #"{"message":"Invalid request","errors":{"handle":["can't be blank when shape definition is missing"]}}"#),
            ("?table=tasks&live=banana", #"{"message":"Invalid request","errors":{"live":["is invalid"]}}"#),
            (
                "?table=nonexistent",
                #"{"message":"Invalid request","errors":{"table":["Table \"public\".\"nonexistent\" does not exist. If the table name contains capitals or special characters you must quote it."]}}"#
            ),
        ]
        for (query, expected) in cases {
            let response = try await cluster.client.request("DELETE", "/v1/shape" + query)
            #expect(response.status == 400, "\(query): \(response)")
            #expect(response.text == expected, "\(query)")
        }
    }
}

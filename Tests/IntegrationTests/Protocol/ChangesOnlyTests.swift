import Foundation
import Postgres
import TestSupport
import Testing

/// `log=changes_only` (protocol.md §8.9): a shape of its own, no initial rows, then every change
/// of transactions its snapshot does not see; alone, with `offset=now`, and with `replica=full`.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct ChangesOnlyTests {
    /// One cluster for every check (each cluster costs a database and three processes).
    @Test func changesOnlyShapes() async throws {
        try await TasksCluster.with(label: "chonly") { cluster, sql, _ in
            try await Self.initialResponseIsOnlySnapshotEndThenChangesFlow(cluster, sql)
            try await Self.offsetNowWithReplicaFullSeesOnlyLaterChangesWithWholeRows(cluster, sql)
        }
    }

    static func initialResponseIsOnlySnapshotEndThenChangesFlow(_ cluster: ConduitCluster, _ sql: PostgresConnection) async throws {
        let full = try await cluster.client.shape([("table", "tasks"), ("offset", "-1")])
        let first = try await cluster.client.shape([("table", "tasks"), ("offset", "-1"), ("log", "changes_only")])
        #expect(first.status == 200, "\(first)")
        #expect(first.headers["electric-handle"] != full.headers["electric-handle"], "the log mode is part of the identity")
        #expect(first.headers["electric-offset"] == "0_0")
        #expect(first.headers["electric-schema"] != nil)
        let messages = try #require(try first.jsonValue.arrayValue)
        #expect(messages.count == 1, "\(first.text)")
        #expect(messages.first?["headers"]?["control"]?.stringValue == "snapshot-end")
        #expect(messages.first?["headers"]?["xmin"]?.stringValue != nil)

        let follower = ShapeFollower(client: cluster.client, table: "tasks", extraParameters: [("log", "changes_only")])
        try await follower.syncUntilUpToDate()
        #expect(follower.handle == first.headers["electric-handle"])
        #expect(follower.rows.isEmpty)

        // An update of a row the client never saw arrives as an update (§8.9), inserts as inserts.
        try sql.execute("UPDATE tasks SET priority = 42 WHERE id = 3; INSERT INTO tasks VALUES (100, 'new', 1, 'open')")
        try await follower.syncUntil { $0.changes.count >= 2 }
        #expect(
            follower.changes.contains { $0.operation == "update" && $0.key == #""public"."tasks"/"3""# && $0.value["priority"] == "42" })
        #expect(follower.changes.contains { $0.operation == "insert" && $0.key == #""public"."tasks"/"100""# })
        #expect(!follower.changes.contains { $0.key == #""public"."tasks"/"1""# })
    }

    static func offsetNowWithReplicaFullSeesOnlyLaterChangesWithWholeRows(_ cluster: ConduitCluster, _ sql: PostgresConnection) async throws
    {
        let parameters = [("table", "tasks"), ("log", "changes_only"), ("replica", "full")]
        let now = try await cluster.client.shape(parameters + [("offset", "now")])
        #expect(now.status == 200, "\(now)")
        #expect(now.headers["electric-up-to-date"] == "")
        #expect(now.headers["electric-has-data"] == "false")
        let body = try #require(try now.jsonValue.arrayValue)
        #expect(body.count == 1 && body.first?["headers"]?["control"]?.stringValue == "up-to-date", "\(now.text)")
        let handle = try #require(now.headers["electric-handle"])
        let offset = try #require(now.headers["electric-offset"])

        try sql.execute("UPDATE tasks SET title = 'renamed' WHERE id = 4")
        var live = try await cluster.client.shape(
            parameters + [("offset", offset), ("handle", handle), ("live", "true")])
        // A long-poll may end without data if it started before the change reached the shape.
        for _ in 0..<5 where live.status == 200 && !live.text.contains("renamed") {
            live = try await cluster.client.shape(
                parameters + [("offset", live.headers["electric-offset"] ?? offset), ("handle", handle), ("live", "true")])
        }
        #expect(live.status == 200, "\(live)")
        let update = try #require(try live.jsonValue.arrayValue?.first { $0["key"] != nil })
        #expect(update["headers"]?["operation"]?.stringValue == "update")
        #expect(update["value"]?["title"]?.stringValue == "renamed")
        #expect(update["value"]?["status"]?.stringValue == "open", "replica=full carries the whole row")
        #expect(update["old_value"]?["title"]?.stringValue == "task 4")
    }
}

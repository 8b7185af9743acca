import Foundation
import Postgres
import Testing

/// A shape on a table no hostile request touches, followed live: ``expectStillFlowing(_:)``
/// inserts a row and requires the follower to see it, proving that whatever the test did to
/// other shapes left routing and serving of this one alone.
final class CalmShape {
    let follower: ShapeFollower
    private let sql: PostgresConnection
    private var nextID = 1

    /// Creates `calm` and follows it until up to date.
    init(cluster: ConduitCluster, sql: PostgresConnection) async throws {
        self.sql = sql
        try sql.execute("CREATE TABLE calm (id int PRIMARY KEY, title text)")
        follower = ShapeFollower(client: cluster.client, table: "calm")
        try await follower.syncUntilUpToDate()
    }

    /// Inserts one row and waits until the follower has it.
    func expectStillFlowing(_ context: String, timeout: Duration = .seconds(30)) async throws {
        let id = nextID
        nextID += 1
        try sql.execute("INSERT INTO calm VALUES (\(id), 'after \(context.prefix(40).replacingOccurrences(of: "'", with: ""))')")
        let key = "\"public\".\"calm\"/\"\(id)\""
        do {
            try await follower.syncUntil(timeout: timeout) { $0.rows[key] != nil }
        } catch {
            Issue.record("a live client of another shape stopped receiving changes after: \(context)\n\(error)")
            throw error
        }
    }

    /// Measures, for each of `count` inserts one `interval` apart, how long the follower took
    /// to see it.
    func latencies(count: Int, interval: Duration) async throws -> [Duration] {
        var result: [Duration] = []
        for _ in 0..<count {
            let started = ContinuousClock.now
            try await expectStillFlowing("a timed insert")
            result.append(ContinuousClock.now - started)
            try await Task.sleep(for: interval)
        }
        return result
    }
}

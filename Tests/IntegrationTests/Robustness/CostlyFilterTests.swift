import Foundation
import Postgres
import TestSupport
import Testing

/// A where clause whose evaluation of a row would take seconds of router's loop (dividing a
/// numeric column by a 4,000-digit parameter a hundred times took 7.6 s per row in a debug
/// build, for every shape, since one loop routes them all) is stopped at the first such row:
/// router removes that shape, its clients are told to refetch and then get 400 saying why, and
/// every other shape keeps flowing.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct CostlyFilterTests {
    static let hugeDivisor = "1." + String(repeating: "7", count: 4000)

    @Test func aShapeWhoseClauseIsTooCostlyForARowIsRemovedAndRefused() async throws {
        try await TestDatabase.withDatabase(label: "costly") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE amounts (id int PRIMARY KEY, n numeric)")
            try sql.execute("INSERT INTO amounts VALUES (1, 3.5)")
            try await TemporaryDirectory.with { directory in
                let environment = ["CONDUIT_MAX_URL_BYTES": "1048576"]
                try await ConduitCluster.with(database: database, directory: directory, environment: environment) { cluster in
                    let calm = try await CalmShape(cluster: cluster, sql: sql)
                    let divisions = (0..<100).map { _ in "n / $1 > 0" }.joined(separator: " AND ")
                    // Costly for every row: refused when the clause is compiled, before any snapshot.
                    let unconditional = try await cluster.client.get(
                        "/v1/shape" + HTTPClient.query([
                            ("table", "amounts"), ("offset", "-1"), ("where", divisions), ("params[1]", Self.hugeDivisor),
                        ]))
                    #expect(unconditional.status == 400, "\(unconditional.status) \(unconditional.text.prefix(300))")
                    #expect(unconditional.text.contains("where clause needs too much work to evaluate a row"))
                    // Costly only for rows past the first: the shape is created (PostgreSQL's own
                    // evaluation is fast), and refused at the first such row router routes.
                    let clause = "id > 1 AND " + divisions
                    let costly = ShapeFollower(client: cluster.client, table: "amounts", where: clause, params: [Self.hugeDivisor])
                    try await costly.syncUntilUpToDate()
                    #expect(costly.rows.isEmpty)
                    let removedHandle = try #require(costly.handle)
                    // A plain shape on the same table, to show the row itself is routed.
                    let plain = ShapeFollower(client: cluster.client, table: "amounts")
                    try await plain.syncUntilUpToDate()

                    try sql.execute("INSERT INTO amounts VALUES (2, 7.25)")
                    try await plain.syncUntil { $0.rows.count == 2 }
                    // The costly shape's client is sent to refetch, and the refetch is refused.
                    var refused: HTTPResponse?
                    let deadline = ContinuousClock.now + .seconds(60)
                    while refused == nil, ContinuousClock.now < deadline {
                        do {
                            try await costly.step(live: true, deadline: deadline)
                        } catch {
                            refused = costly.lastResponse
                        }
                    }
                    let response = try #require(refused, "the costly shape was never refused: \(costly.requestLog.suffix(5))")
                    #expect(response.status == 400, "\(response.status) \(response.text.prefix(300))")
                    #expect(response.text.contains("where clause needs too much work to evaluate a row"), "\(response.text.prefix(300))")
                    #expect(response.text.hasPrefix("{"))
                    let statuses = costly.requestLog.map { $0.split(separator: " ").drop { $0 != "->" }.dropFirst().first.map(String.init) ?? "?" }
                    // Told to refetch by a 409 or by a live 200 carrying `must-refetch`, then refused.
                    #expect(statuses.last == "400" && ["409", "200"].contains(statuses.dropLast().last), "\(statuses)")
                    // Asking again with the old handle is also told to refetch; nothing is served from it.
                    let stale = try await cluster.client.get(
                        "/v1/shape" + HTTPClient.query([("table", "amounts"), ("handle", removedHandle), ("offset", "0_0")]))
                    #expect(stale.status == 409, "\(stale.status) \(stale.text.prefix(200))")

                    try await calm.expectStillFlowing("a shape refused for a costly where clause")
                    try sql.execute("INSERT INTO amounts VALUES (3, 1)")
                    try await plain.syncUntil { $0.rows.count == 3 }
                    for process in cluster.processes {
                        #expect(process.isRunning, "\(process.name) must not restart or exit")
                    }
                    #expect(cluster.router.logTail().contains("Where clause too costly to evaluate for a row; removing shape"))
                }
            }
        }
    }
}

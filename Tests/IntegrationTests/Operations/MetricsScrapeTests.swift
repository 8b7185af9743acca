import Foundation
import TestSupport
import Testing

/// Every process exposes Prometheus metrics on its own `CONDUIT_METRICS_PORT`, and they move
/// with the traffic: group commits and changes routed count up, the gauges follow.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct MetricsScrapeTests {
    /// A scrape: `name{labels} value` lines.
    struct Scrape {
        let text: String

        /// The sum of the samples of `name` whose labels contain every one of `labels`.
        func value(_ name: String, _ labels: [String] = []) -> Double? {
            var total: Double?
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                guard parts.count >= 2 else { continue }
                let series = parts[0]
                let bare = series.prefix { $0 != "{" }
                guard bare == name, labels.allSatisfy({ series.contains($0) }), let sample = Double(parts[1]) else { continue }
                total = (total ?? 0) + sample
            }
            return total
        }
    }

    static func scrape(port: Int) async throws -> Scrape {
        let response = try await HTTPClient(port: port).get("/metrics", timeout: .seconds(10))
        try #require(response.status == 200, "GET /metrics on \(port): \(response.status)")
        #expect(response.headers["content-type"]?.hasPrefix("text/plain") == true)
        return Scrape(text: response.text)
    }

    /// Scrapes until `predicate` holds (gauges are sampled once a second).
    static func scrape(port: Int, until predicate: (Scrape) -> Bool) async throws -> Scrape {
        let deadline = ContinuousClock.now + .seconds(30)
        var last = try await scrape(port: port)
        while !predicate(last) {
            guard ContinuousClock.now < deadline else {
                Issue.record("metrics on \(port) never matched:\n\(last.text)")
                return last
            }
            try await Task.sleep(for: .milliseconds(200))
            last = try await scrape(port: port)
        }
        return last
    }

    @Test func everyProcessExportsMetricsThatMove() async throws {
        let ports = ["ingest": try freeTCPPort(), "router": try freeTCPPort(), "serve": try freeTCPPort()]
        try await TestDatabase.withDatabase(label: "metrics") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try sql.execute("INSERT INTO items VALUES (1, 'a'), (2, 'b')")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(
                    database: database, directory: directory,
                    processEnvironment: ports.mapValues { ["CONDUIT_METRICS_PORT": String($0)] }
                ) { cluster in
                    let follower = ShapeFollower(client: cluster.client, table: "items")
                    try await follower.syncUntilUpToDate()
                    let routerBefore = try await Self.scrape(port: ports["router"]!) { ($0.value("conduit_shapes") ?? 0) >= 1 }
                    let ingestBefore = try await Self.scrape(port: ports["ingest"]!)
                    let changesBefore = routerBefore.value("conduit_changes_routed_total") ?? 0
                    let commitsBefore = ingestBefore.value("conduit_spool_group_commits_total") ?? 0

                    for id in 10..<30 { try sql.execute("INSERT INTO items VALUES (\(id), 'row')") }
                    try sql.execute("UPDATE items SET title = 'x' WHERE id < 20")
                    let expected = try PipelineTests.tableContents(sql)
                    try await follower.syncUntil { $0.rows == expected }

                    // Counters move at once; the position and lag gauges are sampled once a second.
                    let router = try await Self.scrape(port: ports["router"]!) {
                        ($0.value("conduit_changes_routed_total") ?? 0) >= changesBefore + 30 && $0.value("conduit_router_lag_bytes") == 0
                            && ($0.value("conduit_router_position_lsn") ?? 0) > 0
                    }
                    #expect(router.value("conduit_shapes") == 1)
                    #expect((router.value("conduit_shape_log_bytes") ?? 0) > 0)
                    #expect((router.value("conduit_router_position_lsn") ?? 0) > 0)
                    #expect((router.value("conduit_snapshot_duration_seconds_count") ?? 0) >= 1)
                    #expect((router.value("conduit_transactions_routed_total") ?? 0) >= 21)
                    let commits = router.value("conduit_shape_log_commits_total") ?? 0
                    #expect(commits >= 1)
                    // One shape: every commit wrote its log, once.
                    #expect(router.value("conduit_shape_log_commit_shapes_total") == commits)

                    let ingest = try await Self.scrape(port: ports["ingest"]!) {
                        ($0.value("conduit_spool_group_commits_total") ?? 0) > commitsBefore && ($0.value("conduit_confirmed_lsn") ?? 0) > 0
                    }
                    #expect((ingest.value("conduit_spool_bytes") ?? 0) > 0)
                    #expect((ingest.value("conduit_spool_segments") ?? 0) >= 1)
                    #expect(ingest.value("conduit_replication_lag_bytes") != nil)
                    #expect(ingest.value("conduit_replication_lag_seconds") != nil)

                    let serve = try await Self.scrape(port: ports["serve"]!) { ($0.value("conduit_http_connections") ?? -1) >= 0 }
                    #expect((serve.value("conduit_http_requests_total", ["route=\"shape\"", "status=\"200\""]) ?? 0) >= 1)
                    #expect((serve.value("conduit_http_requests_total", ["route=\"shape_live\""]) ?? 0) >= 1)
                    #expect((serve.value("conduit_http_request_duration_seconds_count", ["route=\"shape\""]) ?? 0) >= 1)
                    #expect(serve.text.contains("conduit_http_request_duration_seconds_bucket"))
                }
            }
        }
    }
}

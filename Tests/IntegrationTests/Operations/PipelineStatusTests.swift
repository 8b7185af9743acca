import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `router status` and serve's `GET /v1/status` show the pipeline in each state: router down,
/// starting, caught up, lagging, ingest down.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct PipelineStatusTests {
    /// `router status --json`, decoded.
    static func status(_ cluster: ConduitCluster) async throws -> [String: Any] {
        let result = try await cluster.tool("router", ["status", "--json"])
        try #require(result.status == 0, "router status failed:\n\(result.output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.output)")
    }

    /// Polls `router status` until it reports `state`.
    @discardableResult
    static func waitForState(_ state: String, _ cluster: ConduitCluster, timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        var last = try await status(cluster)
        while last["state"] as? String != state {
            guard ContinuousClock.now < deadline else {
                let text = try await cluster.tool("router", ["status"]).output
                throw SupportError("status never became \(state); last:\n\(text)\n\(cluster.logs)")
            }
            try await Task.sleep(for: .milliseconds(250))
            last = try await status(cluster)
        }
        return last
    }

    @Test func statusFollowsThePipelineThroughEveryState() async throws {
        try await ItemsCluster.with(label: "status", seed: "INSERT INTO items VALUES (1, 'a')") { cluster, sql, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items")
            try await follower.syncUntilUpToDate()

            // Caught up: the slot, the spool, the checkpoint, the shape and the serve process.
            let caughtUp = try await Self.waitForState("caught-up", cluster)
            let slot = try #require(caughtUp["slot"] as? [String: Any])
            #expect(slot["exists"] as? Bool == true && slot["name"] as? String == cluster.slotName)
            #expect(slot["confirmedFlushLSN"] != nil)
            let ingest = try #require(caughtUp["ingest"] as? [String: Any])
            #expect(((ingest["spool"] as? [String: Any])?["segments"] as? Int ?? 0) >= 1)
            #expect(caughtUp["checkpoint"] != nil)
            #expect((caughtUp["shapes"] as? [String: Any])?["count"] as? Int == 1)
            #expect((caughtUp["router"] as? [String: Any])?["servePeers"] as? [Int] == [Int(cluster.serve.pid)])
            let text = try await cluster.tool("router", ["status"]).output
            for label in ["state", "slot", "spool", "checkpoint", "router lag", "shapes"] {
                #expect(text.contains(label), "router status lacks \(label):\n\(text)")
            }

            // serve's GET /v1/status is the same document, plus the instance answering.
            let response = try await cluster.client.get("/v1/status")
            #expect(response.status == 200)
            let served = try #require(try response.json() as? [String: Any])
            #expect(served["state"] as? String == "caught-up")
            #expect((served["serve"] as? [String: Any])?["routerConnected"] as? Bool == true)

            // Lagging: router stops making progress while ingest goes on.
            cluster.router.signal(SIGSTOP)
            try sql.execute("INSERT INTO items SELECT g, 'lag' FROM generate_series(100, 200) g")
            let lagging = try await Self.waitForState("lagging", cluster)
            #expect((lagging["routerLagBytes"] as? Int ?? 0) > 0)
            cluster.router.signal(SIGCONT)
            try await Self.waitForState("caught-up", cluster)

            // Router down.
            cluster.router.terminate()
            #expect(await cluster.router.waitForExit(timeout: .seconds(40)) == 0, "\(cluster.router.logTail())")
            try await Self.waitForState("router-down", cluster)
            let down = try await cluster.client.get("/v1/status")
            #expect((try down.json() as? [String: Any])?["state"] as? String == "router-down")
            #expect((((try down.json() as? [String: Any])?["serve"]) as? [String: Any])?["routerConnected"] as? Bool == false)

            // Starting: a new router before ingest has said anything… is starting only while it
            // loads; with ingest stopped it is "ingest-down".
            cluster.ingest.terminate()
            #expect(await cluster.ingest.waitForExit(timeout: .seconds(40)) == 0, "\(cluster.ingest.logTail())")
            let router = try cluster.relaunch("router")
            defer { router.kill() }
            try await Self.waitForState("ingest-down", cluster)
            router.terminate()
            #expect(await router.waitForExit(timeout: .seconds(40)) == 0, "\(router.logTail())")
        }
    }

    @Test func aNewPipelineIsRouterDownThenStarting() async throws {
        try await TestDatabase.withDatabase(label: "starting") { database in
            try await TemporaryDirectory.with { directory in
                let storage = directory.appending("data")
                let environment = [
                    "DATABASE_URL": database.url, "CONDUIT_STORAGE_DIR": storage,
                    "CONDUIT_STREAM_ID": "t" + String(UInt32.random(in: .min ... .max), radix: 16),
                ]
                let before = try await ConduitProcess.run(
                    "router", ["status", "--json", "--no-database"], environment: environment, directory: directory)
                #expect(before.status == 0)
                #expect(
                    (try JSONSerialization.jsonObject(with: Data(before.output.utf8)) as? [String: Any])?["state"] as? String
                        == "router-down")

                // router alone: no ingest has made anything durable yet.
                let router = try ConduitProcess.launch("router", environment: environment, logDirectory: directory)
                defer { router.kill() }
                let deadline = ContinuousClock.now + .seconds(30)
                var state = ""
                while state != "starting" && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                    let result = try await ConduitProcess.run(
                        "router", ["status", "--json", "--no-database"], environment: environment, directory: directory)
                    state = (try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])?["state"] as? String ?? ""
                }
                #expect(state == "starting", "\(router.logTail())")
                router.terminate()
                #expect(await router.waitForExit(timeout: .seconds(30)) == 0)
            }
        }
    }
}

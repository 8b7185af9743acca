import ConduitCore
import Foundation
import Postgres
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Each runbook in docs/runbooks/ carried out step by step against real processes (the steps
/// that systemd would run are done to the processes directly).
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct RunbookTests {
    /// first-deployment.md: a role with LOGIN REPLICATION and SELECT only; the owner sets the
    /// replica identity and creates the publication; Conduit then needs nothing else.
    @Test func firstDeploymentWithALeastPrivilegedRole() async throws {
        let role = "conduit_" + String(UInt32.random(in: .min ... .max), radix: 16)
        let admin = try PostgresConnection(conninfo: TestDatabase.url(database: "postgres"))
        #expect(try admin.execute("SHOW wal_level").rows.first?.first == "logical")
        try admin.execute("CREATE ROLE \(role) WITH LOGIN REPLICATION")
        defer { _ = try? admin.execute("DROP ROLE IF EXISTS \(role)") }
        try await TestDatabase.withDatabase(label: "firstdeploy") { database in
            let owner = try database.connect()
            try owner.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try owner.execute("INSERT INTO items VALUES (1, 'a'), (2, 'b')")
            try owner.execute("GRANT SELECT ON items TO \(role)")
            try await TemporaryDirectory.with { directory in
                let stream = "t" + String(UInt32.random(in: .min ... .max), radix: 16)
                try owner.execute("ALTER TABLE items REPLICA IDENTITY FULL")
                try owner.execute("CREATE PUBLICATION conduit_pub_\(stream) FOR TABLE items")
                let url = database.url.replacingOccurrences(
                    of: "user=\(ProcessInfo.processInfo.environment["PGUSER"] ?? "postgres")", with: "user=\(role)")
                try #require(url.contains("user=\(role)"))
                let cluster = try await ConduitCluster.start(
                    databaseURL: url, directory: directory, environment: ["CONDUIT_STREAM_ID": stream])
                do {
                    let follower = ShapeFollower(client: cluster.client, table: "items")
                    try await follower.syncUntilUpToDate()
                    try owner.execute("INSERT INTO items VALUES (3, 'c')")
                    try owner.execute("UPDATE items SET title = 'x' WHERE id = 1")
                    let expected = try PipelineTests.tableContents(owner)
                    try await follower.syncUntil { $0.rows == expected }
                    let slot = try owner.execute(
                        "SELECT count(*)::text FROM pg_replication_slots WHERE slot_name = 'conduit_slot_\(stream)'")
                    #expect(slot.rows.first?.first == "1")
                    await cluster.stop()
                } catch {
                    await cluster.stop()
                    throw SupportError("\(error)\n\(cluster.logs)")
                }
                try owner.execute("DROP PUBLICATION conduit_pub_\(stream)")
            }
        }
    }

    /// wal-growth-and-dropping-the-slot.md: with ingest down the slot is inactive and retains
    /// WAL (router status shows it); dropping it and starting ingest resets the stream, clients resync.
    @Test func walGrowthIsVisibleAndDroppingTheSlotResets() async throws {
        try await ItemsCluster.with(label: "walgrowth", seed: "INSERT INTO items VALUES (1, 'a')") { cluster, sql, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items")
            try await follower.syncUntilUpToDate()
            cluster.ingest.terminate()
            #expect(await cluster.ingest.waitForExit(timeout: .seconds(40)) == 0)
            try sql.execute("INSERT INTO items SELECT g, repeat('w', 500) FROM generate_series(2, 20000) g")
            let result = try await cluster.tool("router", ["status", "--json"])
            let status = try #require(
                try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.output)")
            let slot = try #require(status["slot"] as? [String: Any])
            #expect(slot["active"] as? Bool == false)
            #expect(((slot["retainedWALBytes"] as? NSNumber)?.intValue ?? 0) > 5_000_000, "\(slot)")
            #expect(status["state"] as? String == "ingest-down")
            #expect(try await cluster.tool("router", ["status"]).output.contains("retains"))

            try sql.execute("SELECT pg_drop_replication_slot('\(cluster.slotName)')")
            let ingest = try cluster.relaunch("ingest")
            defer { ingest.kill() }
            try await ingest.waitForLog("Replication stream reset")
            try sql.execute("INSERT INTO items VALUES (30000, 'after')")
            let expected = try PipelineTests.tableContents(sql)
            try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
            #expect(follower.refetchCount >= 1, "a dropped slot must make clients refetch")
            ingest.terminate()
            #expect(await ingest.waitForExit(timeout: .seconds(40)) == 0)
        }
    }

    /// rotating-the-secret.md: with CONDUIT_SECRET_PREVIOUS both secrets are accepted; without it
    /// only the new one.
    @Test func secretRotationAcceptsBothThenOnlyTheNew() async throws {
        let rotating = ["CONDUIT_SECRET": "new-secret", "CONDUIT_SECRET_PREVIOUS": "old-secret"]
        let during = try await Self.statuses(environment: rotating, secrets: ["old-secret", "new-secret", "wrong"])
        #expect(during == [200, 200, 401])
        let after = try await Self.statuses(environment: ["CONDUIT_SECRET": "new-secret"], secrets: ["old-secret", "new-secret"])
        #expect(after == [401, 200])
    }

    /// `GET /v1/status?secret=…` on a standalone serve, one status per secret.
    static func statuses(environment: [String: String], secrets: [String]) async throws -> [Int] {
        try await ServeProcesses.withStandalone(environment: environment) { _, port in
            var statuses: [Int] = []
            for secret in secrets { statuses.append(try await HTTPClient(port: port).get("/v1/status?secret=\(secret)").status) }
            return statuses
        }
    }

    /// serve-capacity-and-proxies.md: `CONDUIT_SERVE_INSTANCES=2 scripts/run-serve` runs two
    /// instances on one port; SIGTERM stops both, with status 0.
    @Test func runServeSharesOnePortAndStopsAllInstances() async throws {
        try await TemporaryDirectory.with { directory in
            let port = try freeTCPPort()
            let script = try ConduitProcess.launch(
                executablePath: ConduitProcess.packageRoot() + "/scripts/run-serve", arguments: [],
                environment: [
                    "CONDUIT_SERVE_INSTANCES": "2", "CONDUIT_PORT": String(port), "CONDUIT_BIN_DIR": try ConduitProcess.binaryDirectory(),
                    "CONDUIT_STORAGE_DIR": try directory.makeSubdirectory("data"),
                ],
                logPath: directory.appending("run-serve.log"))
            defer { script.kill() }
            try await ServeProcesses.waitUntilListening(2, logPaths: [script.logPath])
            #expect(
                script.logContents.contains("config.instance=1") && script.logContents.contains("config.instance=2"), "\(script.logTail())")
            #expect(try await HTTPClient(port: port).get("/v1/health").status == 202, "no router: starting")
            script.terminate()
            #expect(await script.waitForExit(timeout: .seconds(40)) == 0, "\(script.logTail())")
            #expect(script.logCount("serve stopped") == 2, "\(script.logTail())")
        }
    }

    /// upgrading.md: each process restarted in the runbook's order under a following client:
    /// no refetch, nothing lost.
    @Test func upgradeRestartsEachProcessAndClientsContinue() async throws {
        try await ItemsCluster.with(label: "upgrade", seed: "INSERT INTO items VALUES (1, 'a')") { cluster, sql, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items")
            try await follower.syncUntilUpToDate()
            var replacements: [ConduitProcess] = []
            defer { for process in replacements { process.kill() } }
            var nextID = 2
            // The runbook's order: readers (serve) before the writer (router).
            for old in [cluster.ingest, cluster.serve, cluster.router] {
                old.terminate()
                try sql.execute("INSERT INTO items VALUES (\(nextID), 'during \(old.name)')")
                #expect(await old.waitForExit(timeout: .seconds(40)) == 0, "\(old.logTail())")
                replacements.append(try cluster.relaunch(old.name))
                try sql.execute("INSERT INTO items VALUES (\(nextID + 1), 'after \(old.name)')")
                nextID += 2
                try await cluster.waitUntilHealthyAfterRestart()
                let expected = try PipelineTests.tableContents(sql)
                try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
            }
            #expect(follower.refetchCount == 0, "an upgrade must not invalidate shapes")
            for process in replacements.reversed() {
                process.terminate()
                #expect(await process.waitForExit(timeout: .seconds(40)) == 0)
            }
        }
    }

    /// full-disk.md: the whole storage directory fills up; ingest and router pause and say so in
    /// `router status`; freeing space resumes both, nothing lost.
    @Test func aFullStorageDirectoryPausesAndResumes() async throws {
        try await TestDatabase.withDatabase(label: "fulldisk") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try await TemporaryDirectory.with { directory in
                let data = try directory.makeSubdirectory("data")
                try await withSmallTmpfs(at: data, megabytes: 24, in: directory) {
                    try await ConduitCluster.with(database: database, directory: directory) { cluster in
                        let follower = ShapeFollower(client: cluster.client, table: "items")
                        try await follower.syncUntilUpToDate()
                        let filler = data + "/filler"
                        try StreamContinuityTests.fill(filler, leavingFree: 512 << 10, in: data)
                        let title = Array(repeating: "md5(random()::text)", count: 16).joined(separator: " || ")
                        for chunk in 0..<30 {
                            try sql.execute(
                                "INSERT INTO items SELECT g, \(title) FROM generate_series(\(chunk * 100 + 1), \(chunk * 100 + 100)) g")
                        }
                        let deadline = ContinuousClock.now + .seconds(60)
                        var phases = ""
                        while !phases.contains("disk-full") {
                            guard ContinuousClock.now < deadline else { throw SupportError("status never showed disk-full: \(phases)") }
                            try await Task.sleep(for: .milliseconds(250))
                            let status = try await cluster.tool("router", ["status", "--json", "--no-database"])
                            let object = try? JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
                            phases = [object?["ingest"], object?["router"]].compactMap { ($0 as? [String: Any])?["phase"] as? String }
                                .joined(
                                    separator: ",")
                        }
                        #expect(cluster.processes.allSatisfy { $0.isRunning }, "a full disk must not end a process")
                        try FileSystem.removeFile(filler)
                        let expected = try PipelineTests.tableContents(sql)
                        try await follower.syncUntil(timeout: .seconds(180)) { $0.rows == expected }
                        #expect(follower.refetchCount == 0, "a full disk is no reset")
                    }
                }
            }
        }
    }
}

extension ConduitCluster {
    /// Waits for health after one process was replaced (the replacement's own log is not ours).
    func waitUntilHealthyAfterRestart(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let response = try? await client.get("/v1/health", timeout: .seconds(5)), response.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SupportError("not healthy within \(timeout) after a restart")
    }
}

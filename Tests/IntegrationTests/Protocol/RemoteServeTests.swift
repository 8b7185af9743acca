import Foundation
import Postgres
import TestSupport
import Testing

/// serve processes that do not share router's host (docs/ARCHITECTURE.md, "serve on other hosts"):
/// one reaches router over TCP (`CONDUIT_ROUTER_URL`), one reaches nothing and falls back to
/// re-reading the committed state of shapes with waiting clients. Neither can see `router.sock`:
/// their storage directory holds only a link to the cluster's `shapes/`, as a shared filesystem
/// mounted elsewhere would. Then `/v1/health` (protocol.md §9.1) through a router restart.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct RemoteServeTests {
    /// Starts a serve over `storage` with `extra` settings on a free port and waits until it listens.
    static func startServe(
        _ name: String, storage: String, extra: [String: String], directory: TemporaryDirectory
    ) async throws -> (ConduitProcess, HTTPClient) {
        let port = try freeTCPPort()
        var environment = [
            "CONDUIT_STORAGE_DIR": storage, "CONDUIT_PORT": String(port),
            "CONDUIT_LOG_LEVEL": ProcessInfo.processInfo.environment["CONDUIT_TEST_LOG_LEVEL"] ?? "info",
        ]
        environment.merge(extra) { _, new in new }
        let process = try ConduitProcess.launch(
            executablePath: try ConduitProcess.binaryDirectory() + "/serve", environment: environment,
            logPath: directory.appending("\(name).log"), workingDirectory: directory.path)
        try await ServeProcesses.waitUntilListening(1, logPaths: [process.logPath])
        return (process, HTTPClient(port: port))
    }

    /// A storage directory on "another host": only the shared `shapes/`, no sockets.
    static func remoteStorage(_ cluster: ConduitCluster, directory: TemporaryDirectory, name: String) throws -> String {
        let storage = try directory.makeSubdirectory(name)
        try FileManager.default.createSymbolicLink(atPath: storage + "/shapes", withDestinationPath: cluster.storageDirectory + "/shapes")
        return storage
    }

    @Test func remoteServesWakeLiveRequestsOverTCPAndByPolling() async throws {
        let routerPort = try freeTCPPort()
        try await TasksCluster.with(label: "remote", environment: ["CONDUIT_ROUTER_LISTEN": "127.0.0.1:\(routerPort)"]) {
            cluster, sql, directory in
            let (tcpServe, tcpClient) = try await Self.startServe(
                "serve-tcp", storage: try Self.remoteStorage(cluster, directory: directory, name: "remote-tcp"),
                extra: ["CONDUIT_ROUTER_URL": "127.0.0.1:\(routerPort)"], directory: directory)
            let (pollServe, pollClient) = try await Self.startServe(
                "serve-poll", storage: try Self.remoteStorage(cluster, directory: directory, name: "remote-poll"),
                extra: [:], directory: directory)
            defer {
                tcpServe.terminate()
                pollServe.terminate()
            }
            // The TCP serve is fully functional, shape creation included; the isolated one is not ready.
            try await waitUntil(timeout: .seconds(30)) { tcpServe.logTail().contains("Connected to router") }
            let tcpHealth = try await tcpClient.get("/v1/health")
            #expect(tcpHealth.status == 200 && tcpHealth.text == #"{"status":"active"}"#, "\(tcpHealth)")
            let pollHealth = try await pollClient.get("/v1/health")
            #expect(pollHealth.status == 202 && pollHealth.text == #"{"status":"starting"}"#, "\(pollHealth)")

            let viaTCP = ShapeFollower(client: tcpClient, table: "tasks")
            try await viaTCP.syncUntilUpToDate()
            #expect(viaTCP.rows.count == 10)
            // The isolated serve serves a shape it is given a handle for, straight from the files.
            let first = try await pollClient.shape([("table", "tasks"), ("offset", "0_inf"), ("handle", try #require(viaTCP.handle))])
            #expect(first.status == 200, "\(first)")
            let offset = try #require(first.headers["electric-offset"])

            let tcpParameters = viaTCP.requestParameters(live: true)
            let pollParameters = [("table", "tasks"), ("offset", offset), ("handle", viaTCP.handle!), ("live", "true")]
            let tcpWait = Task { try await tcpClient.shape(tcpParameters) }
            let pollWait = Task { try await pollClient.shape(pollParameters) }
            try await Task.sleep(for: .milliseconds(500))
            try sql.execute("INSERT INTO tasks VALUES (500, 'remote', 1, 'open')")
            let tcpLive = try await tcpWait.value
            let pollLive = try await pollWait.value
            #expect(tcpLive.status == 200 && tcpLive.text.contains("\"remote\""), "woken over TCP: \(tcpLive)")
            #expect(pollLive.status == 200 && pollLive.text.contains("\"remote\""), "woken by polling: \(pollLive)")

            try await Self.healthFollowsRouter(cluster, others: [(tcpServe, tcpClient)])
        }
    }

    /// `/v1/health` (protocol.md §9.1) of every serve through a router restart: 503 with
    /// `retry-after` while router is gone, `active` again once it has loaded its shapes.
    static func healthFollowsRouter(_ cluster: ConduitCluster, others: [(ConduitProcess, HTTPClient)]) async throws {
        let serves = [(cluster.serve, cluster.client)] + others
        let active = try await cluster.client.get("/v1/health")
        #expect(active.status == 200 && active.text == #"{"status":"active"}"#)
        #expect(active.headers["cache-control"] == "no-cache, no-store, must-revalidate")
        cluster.router.kill()
        for (serve, client) in serves {
            try await waitUntil(timeout: .seconds(60)) { serve.logTail().contains("Disconnected from router") }
            let lost = try await client.get("/v1/health")
            #expect(lost.status == 503, "\(lost)")
            #expect(lost.headers["retry-after"] == "1")
        }
        let router = try cluster.relaunch("router")
        for (_, client) in serves {
            var back = try await client.get("/v1/health")
            let deadline = ContinuousClock.now + .seconds(60)
            while back.status != 200, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                back = try await client.get("/v1/health")
            }
            #expect(back.status == 200 && back.text == #"{"status":"active"}"#, "\(back)")
        }
        await router.stop()
    }
}

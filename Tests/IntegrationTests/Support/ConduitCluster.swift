import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// ingest, router and serve running against one database and one storage directory.
///
/// ```swift
/// try await TestDatabase.withDatabase { database in
///     try await TemporaryDirectory.with { directory in
///         try await ConduitCluster.with(database: database, directory: directory) { cluster in
///             let follower = ShapeFollower(client: cluster.client, table: "items")
///             try await follower.syncUntil(timeout: .seconds(30)) { $0.rows.count == 2 }
///         }
///     }
/// }
/// ```
///
/// Each cluster gets its own `CONDUIT_STREAM_ID` (replication slots are cluster-wide, so parallel
/// tests must not share `conduit_slot_default`), its own free TCP port, and
/// `CONDUIT_STORAGE_DIR = <directory>/data`; the processes' logs are `<directory>/<name>.log`.
final class ConduitCluster: Sendable {
    let databaseURL: String
    let storageDirectory: String
    let streamID: String
    let port: Int
    let client: HTTPClient
    let ingest: ConduitProcess
    let router: ConduitProcess
    let serve: ConduitProcess
    /// The environment the three processes were started with (for restarting one of them).
    let environment: [String: String]
    /// Per-process additions to ``environment``.
    let processEnvironment: [String: [String: String]]
    private let directory: TemporaryDirectory

    /// The replication slot and publication ingest uses for ``streamID``.
    var slotName: String { "conduit_slot_\(streamID)" }
    var publicationName: String { "conduit_pub_\(streamID)" }

    /// Starts the three processes and waits until `GET /v1/health` answers 200.
    ///
    /// - Parameters:
    ///   - environment: extra variables, e.g. `["CONDUIT_CHUNK_BYTES": "10000"]`; they win over
    ///     the defaults set here (`CONDUIT_LOG_LEVEL` defaults to `$CONDUIT_TEST_LOG_LEVEL` or `info`).
    ///   - processEnvironment: variables for one process only, by name (`["ingest":
    ///     ["CONDUIT_METRICS_PORT": "9601"]]`), e.g. settings that must differ between processes.
    ///   - startupTimeout: how long to wait for health; on expiry the error carries the logs.
    ///   - waitUntilHealthy: false to return as soon as the processes are launched.
    /// - Throws: ``SupportError`` with the processes' logs when one exits early or health never
    ///   turns 200; everything started so far is stopped first.
    static func start(
        databaseURL: String,
        directory: TemporaryDirectory,
        environment extra: [String: String] = [:],
        processEnvironment: [String: [String: String]] = [:],
        startupTimeout: Duration = .seconds(60),
        waitUntilHealthy: Bool = true
    ) async throws -> ConduitCluster {
        let streamID = "t" + String(UInt32.random(in: .min ... .max), radix: 16)
        let port = try freeTCPPort()
        let storage = directory.appending("data")
        try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
        var environment = [
            "DATABASE_URL": databaseURL,
            "CONDUIT_STORAGE_DIR": storage,
            "CONDUIT_STREAM_ID": streamID,
            "CONDUIT_PORT": String(port),
            "CONDUIT_LOG_LEVEL": ProcessInfo.processInfo.environment["CONDUIT_TEST_LOG_LEVEL"] ?? "info",
        ]
        environment.merge(extra) { _, new in new }

        var started: [ConduitProcess] = []
        do {
            for name in ["ingest", "router", "serve"] {
                let own = environment.merging(processEnvironment[name] ?? [:]) { _, new in new }
                started.append(try ConduitProcess.launch(name, environment: own, logDirectory: directory))
            }
        } catch {
            for process in started { await process.stop(grace: .seconds(2)) }
            throw error
        }
        let cluster = ConduitCluster(
            databaseURL: databaseURL,
            storageDirectory: storage,
            streamID: environment["CONDUIT_STREAM_ID"] ?? streamID,
            port: Int(environment["CONDUIT_PORT"] ?? "") ?? port,
            processes: started,
            environment: environment,
            processEnvironment: processEnvironment,
            directory: directory
        )
        do {
            if waitUntilHealthy { try await cluster.waitUntilHealthy(timeout: startupTimeout) }
        } catch {
            await cluster.stop()
            throw error
        }
        return cluster
    }

    /// Starts a cluster, runs `body`, and stops the cluster afterwards, also when `body` throws.
    static func with<Result>(
        database: TestDatabase,
        directory: TemporaryDirectory,
        environment: [String: String] = [:],
        processEnvironment: [String: [String: String]] = [:],
        _ body: (ConduitCluster) async throws -> Result
    ) async throws -> Result {
        try await with(
            databaseURL: database.url, directory: directory, environment: environment, processEnvironment: processEnvironment, body)
    }

    /// ``with(database:directory:environment:processEnvironment:_:)`` for a database that is not a
    /// ``TestDatabase`` (one on a ``ThrowawayPostgres``).
    static func with<Result>(
        databaseURL: String,
        directory: TemporaryDirectory,
        environment: [String: String] = [:],
        processEnvironment: [String: [String: String]] = [:],
        _ body: (ConduitCluster) async throws -> Result
    ) async throws -> Result {
        let cluster = try await start(
            databaseURL: databaseURL, directory: directory, environment: environment, processEnvironment: processEnvironment)
        do {
            let result = try await body(cluster)
            await cluster.stop()
            return result
        } catch {
            await cluster.stop()
            throw SupportError("\(error)\n\(cluster.logs)")
        }
    }

    private init(
        databaseURL: String,
        storageDirectory: String,
        streamID: String,
        port: Int,
        processes: [ConduitProcess],
        environment: [String: String],
        processEnvironment: [String: [String: String]],
        directory: TemporaryDirectory
    ) {
        self.processEnvironment = processEnvironment
        self.databaseURL = databaseURL
        self.storageDirectory = storageDirectory
        self.streamID = streamID
        self.port = port
        self.client = HTTPClient(port: port)
        self.ingest = processes[0]
        self.router = processes[1]
        self.serve = processes[2]
        self.environment = environment
        self.directory = directory
    }

    var processes: [ConduitProcess] { [ingest, router, serve] }

    /// Polls `GET /v1/health` until it answers 200.
    func waitUntilHealthy(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer yet"
        while ContinuousClock.now < deadline {
            if let dead = processes.first(where: { !$0.isRunning }) {
                throw SupportError("\(dead.name) exited during startup (status \(dead.exitStatus.map(String.init) ?? "?"))\n\(logs)")
            }
            do {
                let response = try await client.get("/v1/health", timeout: .seconds(5))
                if response.status == 200 { return }
                last = "HTTP \(response.status) \(response.text)"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SupportError("serve did not report healthy within \(timeout) (last: \(last))\n\(logs)")
    }

    /// Launches a replacement for a process that was stopped or killed (same environment, same
    /// log file, appended), e.g. to test crash recovery: `cluster.ingest.kill()`, then
    /// `let ingest = try cluster.relaunch("ingest")`. The returned process is not stopped by
    /// ``stop()``: the caller stops it.
    func relaunch(_ name: String, overriding changes: [String: String] = [:]) throws -> ConduitProcess {
        let environment = environment.merging(processEnvironment[name] ?? [:]) { _, new in new }
        return try ConduitProcess.launch(name, environment: environment.merging(changes) { _, new in new }, logDirectory: directory)
    }

    /// Runs one of the binaries' operator subcommands (`router status --json`) against this
    /// cluster's storage directory and database, and returns its exit status and output.
    func tool(_ binary: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> (status: Int32?, output: String) {
        try await ConduitProcess.run(binary, arguments, environment: environment, directory: directory, timeout: timeout)
    }

    /// SIGTERM to all three (serve first, ingest last), SIGKILL after a grace period.
    func stop(grace: Duration = .seconds(10)) async {
        for process in [serve, router, ingest] { process.terminate() }
        for process in [serve, router, ingest] { await process.stop(grace: grace) }
    }

    /// The tails of all three logs, for failure messages.
    var logs: String {
        processes.map { $0.logTail() }.joined(separator: "\n")
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago: bind port 0, read the port, close.
///
/// Another process may take it before the caller binds it; the window is short enough for tests.
func freeTCPPort() throws -> Int {
    let (descriptor, port) = try boundLoopbackSocket()
    close(descriptor)
    return port
}

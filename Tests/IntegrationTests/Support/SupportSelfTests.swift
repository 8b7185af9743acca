import Dispatch
import Foundation
import Postgres
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Proves the integration-test support code itself, without Conduit's binaries.
@Suite struct SupportSelfTests {
    @Test func temporaryDirectoryIsShortUniqueAndRemoved() throws {
        let first = try TemporaryDirectory()
        let second = try TemporaryDirectory()
        #expect(first.path != second.path)
        #expect(first.path.hasPrefix("/tmp/"))
        // Leaves room for `<dir>/data/<name>.sock` inside sun_path's 108 bytes.
        #expect(first.path.utf8.count < 40)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: first.path, isDirectory: &isDirectory) && isDirectory.boolValue)
        try first.makeSubdirectory("data/shapes")
        #expect(FileManager.default.createFile(atPath: first.appending("data/file"), contents: Data([1, 2, 3])))
        first.remove()
        second.remove()
        #expect(!FileManager.default.fileExists(atPath: first.path))
        #expect(!FileManager.default.fileExists(atPath: second.path))
    }

    @Test func clustersOfDeadTestRunsAreReapedOthersKept() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        // Beyond the kernel's largest pid (4,194,304): no such process.
        let dead: pid_t = 4_194_305
        func cluster(_ name: String, owner: pid_t?) throws -> String {
            let path = try root.makeSubdirectory(ThrowawayPostgres.directoryPrefix + "-" + name + "/data")
            try Data("\(dead)\n/tmp\n".utf8).write(to: URL(fileURLWithPath: path + "/postmaster.pid"))
            let directory = root.appending(ThrowawayPostgres.directoryPrefix + "-" + name)
            if let owner {
                try Data("\(owner)\n".utf8).write(to: URL(fileURLWithPath: directory + "/" + ThrowawayPostgres.ownerFile))
            }
            return directory
        }
        let orphan = try cluster("orphan", owner: dead)
        let live = try cluster("live", owner: getpid())
        let unowned = try cluster("unowned", owner: nil)
        let other = try root.makeSubdirectory("cxt-other")
        try Data("\(dead)\n".utf8).write(to: URL(fileURLWithPath: other + "/" + ThrowawayPostgres.ownerFile))

        #expect(ThrowawayPostgres.reapOrphans(in: root.path) == [orphan])
        #expect(!FileManager.default.fileExists(atPath: orphan))
        for kept in [live, unowned, other] { #expect(FileManager.default.fileExists(atPath: kept)) }
    }

    @Test func databaseNamesAreUniqueAndFitPostgresIdentifiers() {
        let long = TestDatabase.uniqueName(label: String(repeating: "Very-Long Label ", count: 10))
        #expect(long.utf8.count <= 63)
        #expect(long.hasPrefix("conduit_test_very_long_label_"))
        #expect(long.allSatisfy { $0.isLetter && $0.isLowercase || $0.isNumber || $0 == "_" })
        #expect(TestDatabase.uniqueName(label: "") != TestDatabase.uniqueName(label: ""))
    }

    @Test(.enabled(if: TestDatabase.isAvailable), .timeLimit(.minutes(1)))
    func testDatabaseCreateAndDropRemovesSlotsEvenWhileStreaming() async throws {
        let database = try TestDatabase.create(label: "selftest")
        let slot = "selftest_\(UInt32.random(in: .min ... .max))"
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var consumer: ConduitProcess?
        do {
            let connection = try database.connect()
            try connection.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try connection.execute("CREATE PUBLICATION selftest_pub FOR TABLE items")
            try connection.execute("SELECT pg_create_logical_replication_slot('\(slot)', 'pgoutput')")
            #expect(try database.replicationSlots() == [slot])
            connection.close()

            // An active walsender on the slot: drop() must terminate it before dropping the slot.
            consumer = try ConduitProcess.launch(
                executablePath: "/usr/lib/postgresql/15/bin/pg_recvlogical",
                arguments: [
                    "--start", "-S", slot, "-o", "proto_version=1", "-o", "publication_names=selftest_pub",
                    "-f", "/dev/null", "-d", database.url, "--no-loop",
                ],
                environment: [:],
                logPath: directory.appending("pg_recvlogical.log")
            )
            try await waitUntil(timeout: .seconds(20)) { try slotIsActive(slot) }
        } catch {
            consumer?.kill()
            try? database.drop()
            throw error
        }

        try database.drop()

        let admin = try PostgresConnection(conninfo: TestDatabase.url(database: "postgres"))
        let databases = try admin.execute("SELECT 1 FROM pg_database WHERE datname = $1", parameters: [database.name])
        #expect(databases.rows.isEmpty)
        let slots = try admin.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", parameters: [slot])
        #expect(slots.rows.isEmpty)
        let status = await consumer?.waitForExit(timeout: .seconds(10))
        #expect(status != nil, "pg_recvlogical still running after its slot was dropped")
        consumer?.kill()
    }

    @Test func processLogsAndSignals() async throws {
        try await TemporaryDirectory.with { directory in
            let process = try ConduitProcess.launch(
                executablePath: "/bin/sh",
                arguments: ["-c", "echo started; echo oops >&2; echo \"db=$DATABASE_URL x=$SELFTEST\"; exec sleep 30"],
                environment: ["SELFTEST": "yes"],
                logPath: directory.appending("sh.log")
            )
            try await waitUntil(timeout: .seconds(10)) { process.logContents.contains("x=yes") }
            #expect(process.logContents.contains("started"))
            #expect(process.logContents.contains("oops"))
            // DATABASE_URL from the runner's environment never leaks into a child.
            #expect(process.logContents.contains("db= x=yes"))
            #expect(process.isRunning)
            process.terminate()
            #expect(await process.waitForExit(timeout: .seconds(10)) == 128 + SIGTERM)

            let second = try ConduitProcess.launch(
                executablePath: "/bin/sleep",
                arguments: ["30"],
                environment: [:],
                logPath: directory.appending("sleep.log")
            )
            #expect(await second.waitForExit(timeout: .milliseconds(100)) == nil)
            second.kill()
            #expect(await second.waitForExit(timeout: .seconds(10)) == 128 + SIGKILL)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func httpClientReadsStatusHeadersAndBody() async throws {
        let port = try freeTCPPort()
        let response =
            "HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nElectric-Handle: h-2\r\n"
            + "electric-up-to-date: \r\nContent-Length: 40\r\nConnection: close\r\n\r\n"
            + #"[{"headers":{"control":"must-refetch"}}]"#
        let server = try OneShotHTTPServer(port: port, response: response)
        let client = HTTPClient(port: port)
        let answer = try await client.get("/v1/shape" + HTTPClient.query([("table", "items"), ("where", "a = 'x+y'")]))
        #expect(answer.status == 409)
        #expect(answer.headers["ELECTRIC-HANDLE"] == "h-2")
        #expect(answer.headers["electric-up-to-date"] == "")
        #expect(answer.headers["electric-offset"] == nil)
        #expect(answer.text == #"[{"headers":{"control":"must-refetch"}}]"#)
        let request = server.receivedRequest()
        #expect(request.hasPrefix("GET /v1/shape?table=items&where=a%20%3D%20%27x%2By%27 HTTP/1.1\r\n"))
    }

    @Test func shapeFollowerAppliesTheProtocol() throws {
        let follower = ShapeFollower(client: HTTPClient(port: 1), table: "items")
        let key1 = #""public"."items"/"1""#
        let key2 = #""public"."items"/"2""#
        let snapshot = response(
            200,
            ["electric-handle": "h1", "electric-offset": "0_0", "electric-schema": "{}"],
            #"[{"key":"\"public\".\"items\"/\"1\"","value":{"id":"1","title":"a"},"headers":{"operation":"insert","relation":["public","items"]}},"#
                + #"{"key":"\"public\".\"items\"/\"2\"","value":{"id":"2","title":null},"headers":{"operation":"insert","relation":["public","items"]}},"#
                + #"{"headers":{"control":"snapshot-end","xmin":"1","xmax":"1","xip_list":[]}}]"#
        )
        try follower.apply(snapshot, live: false)
        #expect(follower.rows.count == 2)
        #expect(follower.rows[key2]?["title"] == .some(nil))
        #expect(!follower.isUpToDate)
        #expect(follower.requestParameters(live: false).contains { $0 == "handle" && $1 == "h1" })

        try follower.apply(
            response(
                200,
                ["electric-handle": "h1", "electric-offset": "0_0", "electric-schema": "{}", "electric-up-to-date": ""],
                #"[{"headers":{"control":"up-to-date","global_last_seen_lsn":"100"}}]"#
            ),
            live: false
        )
        #expect(follower.isUpToDate)
        #expect(follower.lastSeenLSN == "100")

        try follower.apply(
            response(
                200,
                ["electric-handle": "h1", "electric-offset": "200_2", "electric-cursor": "42", "electric-up-to-date": ""],
                #"[{"headers":{"operation":"update","relation":["public","items"],"lsn":"200","op_position":0,"txids":[7]},"key":"\"public\".\"items\"/\"1\"","value":{"id":"1","title":"b"}},"#
                    + #"{"headers":{"operation":"delete","relation":["public","items"],"lsn":"200","op_position":2,"txids":[7],"last":true},"key":"\"public\".\"items\"/\"2\"","value":{"id":"2"}},"#
                    + #"{"headers":{"control":"up-to-date","global_last_seen_lsn":"200"}}]"#
            ),
            live: true
        )
        #expect(follower.rows == [key1: ["id": "1", "title": "b"]])
        #expect(follower.changes.last?.isLast == true)
        #expect(follower.changes.last?.opPosition == 2)
        #expect(follower.offset == "200_2")
        let live = follower.requestParameters(live: true)
        #expect(live.contains { $0 == "cursor" && $1 == "42" } && live.contains { $0 == "live" && $1 == "true" })

        // A live response without electric-cursor breaks the protocol.
        #expect(throws: SupportError.self) {
            try follower.apply(response(200, ["electric-handle": "h1", "electric-offset": "300_0"], "[]"), live: true)
        }
        // Values must be strings.
        #expect(throws: SupportError.self) {
            try follower.apply(
                response(
                    200,
                    ["electric-handle": "h1", "electric-offset": "300_0", "electric-schema": "{}"],
                    #"[{"key":"k","value":{"id":1},"headers":{"operation":"insert"}}]"#
                ),
                live: false
            )
        }

        try follower.apply(response(409, ["electric-handle": "h2"], #"[{"headers":{"control":"must-refetch"}}]"#), live: true)
        #expect(follower.rows.isEmpty)
        #expect(follower.offset == "-1")
        #expect(follower.handle == "h2")
        #expect(follower.refetchCount == 1)
        #expect(!follower.requestParameters(live: false).contains { $0.0 == "handle" })

        #expect(try follower.apply(response(503, ["retry-after": "2"], "{}"), live: false) == .seconds(2))
    }

    // MARK: - Helpers

    private func response(_ status: Int, _ headers: [String: String], _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders(headers.map { (name: $0.key, value: $0.value) }), body: Array(body.utf8))
    }

    private func slotIsActive(_ slot: String) throws -> Bool {
        let admin = try PostgresConnection(conninfo: TestDatabase.url(database: "postgres"))
        let result = try admin.execute("SELECT active FROM pg_replication_slots WHERE slot_name = $1", parameters: [slot])
        return result.rows.first?.first == "t"
    }
}

/// Polls `condition` every 50 ms until it holds; throws after `timeout`.
func waitUntil(timeout: Duration, _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw SupportError("condition not met within \(timeout)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Accepts one connection on 127.0.0.1:`port`, records the request head and sends `response`.
private final class OneShotHTTPServer: Sendable {
    private final class State: Sendable {
        let request = Mutex<String>("")
        let done = DispatchSemaphore(value: 0)
    }

    private let state = State()

    init(port: Int, response: String) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw SupportError("socket() failed") }
        var reuse: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 4) == 0 else {
            close(listener)
            throw SupportError("bind/listen on \(port) failed")
        }
        let state = self.state
        Thread.detachNewThread {
            defer { close(listener) }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                state.done.signal()
                return
            }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !received.ends(with: Array("\r\n\r\n".utf8)) {
                let count = read(connection, &buffer, buffer.count)
                if count <= 0 { break }
                received += buffer[0..<count]
            }
            state.request.withLock { $0 = String(decoding: received, as: UTF8.self) }
            _ = Array(response.utf8).withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            shutdown(connection, Int32(SHUT_WR))
            close(connection)
            state.done.signal()
        }
    }

    /// The request head the server received (waits up to 10 s for it).
    func receivedRequest() -> String {
        _ = state.done.wait(timeout: .now() + 10)
        return state.request.withLock { $0 }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}

import Foundation
import Postgres
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The shipped nginx configuration (`deploy/nginx/conduit.conf`) in front of serve: immutable
/// chunks come from the cache, and 100 identical live requests reach serve once and all get the
/// change. nginx is installed from Debian if missing (`.ci/run` installs it up front).
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct NginxCacheTests {
    @Test func identicalLiveRequestsReachServeOnce() async throws {
        let nginx = try NginxProcess.binary()
        try await TasksCluster.with(label: "nginx") { cluster, sql, directory in
            let proxy = try await NginxProcess.start(binary: nginx, upstreamPort: cluster.port, directory: directory)
            defer { proxy.stop() }
            let client = HTTPClient(port: proxy.port)

            let follower = ShapeFollower(client: client, table: "tasks")
            try await follower.syncUntilUpToDate()
            #expect(follower.rows.count == 10)
            let again = try await client.shape([("table", "tasks"), ("offset", "-1")])
            #expect(again.headers["x-cache-status"] == "HIT", "the initial chunk is cached: \(again)")

            let handle = try #require(follower.handle)
            let cursor = follower.cursor ?? "0"
            let path =
                "/v1/shape"
                + HTTPClient.query([
                    ("table", "tasks"), ("offset", follower.offset), ("handle", handle), ("live", "true"), ("cursor", cursor),
                ])
            let before = proxy.upstreamRequests(containing: "live=true")
            let responses = try await withThrowingTaskGroup(of: HTTPResponse.self) { group in
                for _ in 0..<100 { group.addTask { try await client.get(path) } }
                try await Task.sleep(for: .seconds(2))
                try sql.execute("INSERT INTO tasks VALUES (777, 'through the cache', 1, 'open')")
                var all: [HTTPResponse] = []
                for try await response in group { all.append(response) }
                return all
            }
            #expect(responses.count == 100)
            #expect(responses.allSatisfy { $0.status == 200 && $0.text.contains("through the cache") }, "\(responses.first!)")
            let reached = proxy.upstreamRequests(containing: "live=true") - before
            #expect(reached == 1, "live requests that reached serve: \(reached)\n\(proxy.accessLog)")
        }
    }
}

/// nginx run by a test, from `deploy/nginx/conduit.conf` with the test's ports and directories.
struct NginxProcess {
    let process: ConduitProcess
    let port: Int
    let accessLogPath: String

    /// nginx's path; installs Debian's `nginx-light` first when it is missing (root only).
    static func binary() throws -> String {
        let candidates = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        if let found = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) { return found }
        guard geteuid() == 0 else { throw SupportError("nginx is not installed: apt-get install -y nginx-light") }
        let install = Process()
        install.executableURL = URL(fileURLWithPath: "/bin/sh")
        install.arguments = [
            "-c",
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 || "
                + "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light) >/dev/null 2>&1",
        ]
        try install.run()
        install.waitUntilExit()
        guard let found = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw SupportError("installing nginx-light failed (status \(install.terminationStatus))")
        }
        return found
    }

    static func start(binary: String, upstreamPort: Int, directory: TemporaryDirectory) async throws -> NginxProcess {
        let root = try directory.makeSubdirectory("nginx")
        let port = try freeTCPPort()
        let shipped = try String(
            contentsOfFile: ConduitProcess.packageRoot() + "/deploy/nginx/conduit.conf", encoding: .utf8)
        let site =
            shipped
            .replacingOccurrences(of: "/var/cache/nginx/conduit", with: root + "/cache")
            .replacingOccurrences(of: "server 127.0.0.1:3000;", with: "server 127.0.0.1:\(upstreamPort);")
            .replacingOccurrences(of: "listen 8080;", with: "listen 127.0.0.1:\(port);")
        try site.write(toFile: root + "/conduit.conf", atomically: true, encoding: .utf8)
        let accessLog = root + "/access.log"
        let main = """
            \(geteuid() == 0 ? "user root;" : "")
            worker_processes 1;
            daemon off;
            pid \(root)/nginx.pid;
            error_log \(root)/error.log info;
            events { worker_connections 1024; }
            http {
                log_format conduit '$upstream_addr $upstream_cache_status $status "$request_uri"';
                access_log \(accessLog) conduit;
                client_body_temp_path \(root)/body;
                proxy_temp_path \(root)/proxy;
                include \(root)/conduit.conf;
            }
            """
        try main.write(toFile: root + "/nginx.conf", atomically: true, encoding: .utf8)
        let process = try ConduitProcess.launch(
            executablePath: binary, arguments: ["-p", root, "-e", root + "/error.log", "-c", root + "/nginx.conf"],
            environment: [:], logPath: root + "/stderr.log", workingDirectory: root)
        let client = HTTPClient(port: port)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let response = try? await client.get("/", timeout: .seconds(2)), response.status == 200 {
                return NginxProcess(process: process, port: port, accessLogPath: accessLog)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let errors = (try? String(contentsOfFile: root + "/error.log", encoding: .utf8)) ?? ""
        process.kill()
        throw SupportError("nginx did not start\n\(process.logTail())\n\(errors)")
    }

    var accessLog: String { (try? String(contentsOfFile: accessLogPath, encoding: .utf8)) ?? "" }

    /// Requests whose URI contains `fragment` that nginx passed to serve (an upstream address logged).
    func upstreamRequests(containing fragment: String) -> Int {
        accessLog.split(separator: "\n").filter { $0.contains(fragment) && !$0.hasPrefix("- ") }.count
    }

    func stop() {
        process.terminate()
    }
}

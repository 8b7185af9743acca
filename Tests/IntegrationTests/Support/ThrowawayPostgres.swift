import ConduitCore
import Foundation
import Postgres
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL 15 cluster of one test's own, for what the shared test server must never suffer:
/// being stopped, or having its transaction counter moved with `pg_resetwal`.
///
/// The cluster lives in a new directory under `/tmp` (data in `data/`, log in `server.log`, the
/// directory itself is the Unix socket directory) and listens on the socket only, so its port
/// can never collide with a TCP listener. As root every server command runs as `postgres`
/// (PostgreSQL refuses root). Settings: `wal_level=logical`, `autovacuum=off` (nothing but the
/// test touches a tuple between a freeze and a reset), `fsync=off` (a throwaway).
///
/// Every method blocks (processes, libpq): call them through `offThePool { … }`. Use
/// ``with(port:_:)``, which stops the server and deletes the directory on every exit path.
final class ThrowawayPostgres: Sendable {
    static let binaries = "/usr/lib/postgresql/15/bin"

    let directory: TemporaryDirectory
    let port: Int
    var dataDirectory: String { directory.appending("data") }
    var logPath: String { directory.appending("server.log") }

    /// True when this machine can run one (the binaries exist; as root, a `postgres` user exists).
    static var isAvailable: Bool {
        guard FileManager.default.isExecutableFile(atPath: binaries + "/pg_resetwal") else { return false }
        return getuid() != 0 || getpwnam("postgres") != nil
    }

    /// initdb's a new cluster (not started).
    init(port: Int) throws {
        _ = Self.orphansReaped
        self.port = port
        directory = try TemporaryDirectory(prefix: Self.directoryPrefix)
        do {
            try Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: directory.appending(Self.ownerFile)))
            if getuid() == 0 {
                try run("/bin/chown", ["postgres:", directory.path])
                chmod(directory.path, 0o755)
            }
            try runAsOwner(Self.binaries + "/initdb", ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"])
            let settings = """

                listen_addresses = ''
                port = \(port)
                unix_socket_directories = '\(directory.path)'
                wal_level = logical
                max_replication_slots = 10
                max_wal_senders = 10
                autovacuum = off
                fsync = off
                log_min_messages = warning

                """
            let configuration = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.conf"))
            defer { try? configuration.close() }
            try configuration.seekToEnd()
            try configuration.write(contentsOf: Data(settings.utf8))
        } catch {
            directory.remove()
            throw error
        }
    }

    static let directoryPrefix = "cxpg"
    /// The test process a cluster belongs to (its pid), in the cluster's directory.
    static let ownerFile = "owner.pid"

    /// A cluster whose test process died (a crash, a SIGKILL) is never stopped by it and keeps
    /// running; the first cluster of the next run reaps those (``reapOrphans(in:)``).
    private static let orphansReaped: Void = { reapOrphans() }()

    /// Stops (SIGQUIT: immediate shutdown) and deletes every cluster under `root` whose test
    /// process no longer exists. A directory without ``ownerFile`` may be another run's cluster
    /// being made, and a live owner's cluster is in use: both are left alone. Returns the paths
    /// deleted.
    @discardableResult
    static func reapOrphans(in root: String = "/tmp") -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        var reaped: [String] = []
        for name in entries where name.hasPrefix(directoryPrefix + "-") {
            let path = root + "/" + name
            guard let text = try? String(contentsOfFile: path + "/" + ownerFile, encoding: .utf8),
                let owner = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), owner > 0,
                kill(owner, 0) != 0, errno == ESRCH
            else { continue }
            // The postmaster, if that pid is still a postgres process (pids are reused).
            if let lines = try? String(contentsOfFile: path + "/data/postmaster.pid", encoding: .utf8),
                let first = lines.split(separator: "\n").first, let postmaster = pid_t(first), postmaster > 0,
                (try? String(contentsOfFile: "/proc/\(postmaster)/comm", encoding: .utf8))?.hasPrefix("postgres") == true
            {
                kill(postmaster, SIGQUIT)
            }
            removeTestTree(path)
            reaped.append(path)
        }
        return reaped
    }

    /// Runs `body` with a new cluster (started), then stops it and deletes it, also when `body`
    /// throws.
    static func with<Result>(port: Int, _ body: (ThrowawayPostgres) async throws -> Result) async throws -> Result {
        let cluster = try await offThePool { try ThrowawayPostgres(port: port) }
        defer { cluster.directory.remove() }
        do {
            try await offThePool { try cluster.start() }
            let result = try await body(cluster)
            try await offThePool { try cluster.stop() }
            return result
        } catch {
            _ = try? await offThePool { try cluster.stop() }
            throw SupportError("\(error)\nlast lines of \(cluster.logPath):\n\(cluster.logTail())")
        }
    }

    // MARK: - Server

    func start() throws {
        try runAsOwner(Self.binaries + "/pg_ctl", ["-D", dataDirectory, "-l", logPath, "-w", "-t", "60", "start"])
    }

    /// Stops the server (fast shutdown: sessions are disconnected, a shutdown checkpoint is
    /// written); does nothing when it is not running.
    func stop() throws {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid") else { return }
        try runAsOwner(Self.binaries + "/pg_ctl", ["-D", dataDirectory, "-w", "-t", "60", "-m", "fast", "stop"])
    }

    /// A libpq URI for `database` on this cluster (for `DATABASE_URL`).
    func url(database: String = "postgres") -> String {
        "postgresql:///\(database)?host=\(directory.path)&port=\(port)&user=postgres"
    }

    func connect(database: String = "postgres") throws -> PostgresConnection {
        try PostgresConnection(conninfo: url(database: database))
    }

    func logTail(lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    // MARK: - Control data

    /// The fields `pg_controldata` prints, by name (read while the server is stopped).
    func controlData() throws -> [String: String] {
        let output = try runAsOwner(Self.binaries + "/pg_controldata", ["-D", dataDirectory])
        var fields: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// The 64-bit next transaction id of the last checkpoint (`epoch:xid`).
    func nextFullXID() throws -> UInt64 {
        let text = try controlData()["Latest checkpoint's NextXID"] ?? ""
        let parts = text.split(separator: ":")
        guard parts.count == 2, let epoch = UInt64(parts[0]), let xid = UInt64(parts[1]) else {
            throw SupportError("unexpected NextXID in pg_controldata: \(text)")
        }
        return epoch << 32 | xid
    }

    /// The last checkpoint's location: after `pg_resetwal`, where the new WAL begins.
    func checkpointLocation() throws -> LSN {
        try requireLSN(try controlData()["Latest checkpoint location"])
    }

    // MARK: - Tools

    /// Runs `executable` as the cluster's owner (`postgres` when this process is root).
    @discardableResult
    func runAsOwner(_ executable: String, _ arguments: [String]) throws -> String {
        if getuid() == 0 { return try run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments) }
        return try run(executable, arguments)
    }

    /// Runs a command to its end with `posix_spawn` and `waitpid`, not `Process`: its output goes to
    /// a file (the postmaster `pg_ctl start` leaves behind inherits the descriptors, so a pipe would
    /// never reach end-of-file), with an empty signal mask (threads of the test runner block most
    /// signals, and children inherit the mask), and without `Process`'s SIGCHLD machinery, which
    /// was seen never to notice `runuser` exit on a detached thread.
    @discardableResult
    private func run(_ executable: String, _ arguments: [String]) throws -> String {
        let outputPath = directory.appending("command.out")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        // `env -C`: from a directory the cluster's owner can enter (runuser keeps the directory).
        let argv = (["/usr/bin/env", "-C", directory.path, executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw SupportError("cannot run \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED && WEXITSTATUS == 0, spelled out (the macros are not imported).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw SupportError("\(executable) \(arguments.joined(separator: " ")) failed (wait status \(status)):\n\(text)")
        }
        return text
    }
}

import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// serve processes a test starts itself: alone (no router, for what serve decides before asking
/// anyone), or sharing a socket the test made, the way systemd socket activation passes one.
enum ServeProcesses {
    /// Starts serve alone over an empty storage directory (health is 202 without router), waits
    /// until it listens, runs `body` with it and its port, and stops it with SIGTERM.
    static func withStandalone<Result>(
        environment extra: [String: String] = [:],
        _ body: (ConduitProcess, Int) async throws -> Result
    ) async throws -> Result {
        try await TemporaryDirectory.with { directory in
            let port = try freeTCPPort()
            var environment = [
                "CONDUIT_STORAGE_DIR": try directory.makeSubdirectory("data"),
                "CONDUIT_PORT": String(port),
                "CONDUIT_LOG_LEVEL": ProcessInfo.processInfo.environment["CONDUIT_TEST_LOG_LEVEL"] ?? "info",
            ]
            environment.merge(extra) { _, new in new }
            let serve = try ConduitProcess.launch("serve", environment: environment, logDirectory: directory)
            do {
                try await waitUntilListening(1, logPaths: [serve.logPath])
                let result = try await body(serve, port)
                await serve.stop()
                return result
            } catch {
                await serve.stop()
                throw SupportError("\(error)\n\(serve.logTail())")
            }
        }
    }

    /// Waits until `count` serve processes logged that they listen, in the logs at `logPaths`
    /// (several processes may share one log). Reading the log rather than asking over HTTP
    /// leaves no client connection behind to count against connection limits.
    static func waitUntilListening(_ count: Int, logPaths: [String], timeout: Duration = .seconds(30)) async throws {
        try await waitUntil(timeout: timeout) {
            let logs = logPaths.map { (try? String(contentsOfFile: $0, encoding: .utf8)) ?? "" }
            return logs.map { $0.components(separatedBy: "] Listening").count - 1 }.reduce(0, +) >= count
        }
    }

    /// A TCP socket listening on an ephemeral port of 127.0.0.1, as a `.socket` unit would hold it.
    static func listeningSocket() throws -> (descriptor: Int32, port: Int) {
        let (descriptor, port) = try boundLoopbackSocket()
        guard listen(descriptor, 128) == 0 else {
            close(descriptor)
            throw SupportError("listen() failed: \(String(cString: strerror(errno)))")
        }
        return (descriptor, port)
    }

    /// Launches serve accepting on `listener`, as systemd passes a socket: on descriptor 3, with
    /// `LISTEN_FDS=1` and `LISTEN_PID` naming serve's own pid. A shell moves the socket from
    /// standard input to descriptor 3 (Foundation's `Process` closes every other descriptor) and
    /// `exec`s serve, which keeps the shell's pid, so `$$` is the right `LISTEN_PID`.
    static func launchSocketActivated(
        listener: Int32,
        environment: [String: String],
        logDirectory: TemporaryDirectory,
        name: String
    ) throws -> ConduitProcess {
        let serve = try ConduitProcess.binaryDirectory() + "/serve"
        var environment = environment
        environment["CONDUIT_PORT"] = nil
        environment["LISTEN_FDS"] = "1"
        return try ConduitProcess.launch(
            executablePath: "/bin/sh",
            arguments: ["-c", "exec 3<&0 0</dev/null; LISTEN_PID=$$ exec \"$0\"", serve],
            environment: environment,
            logPath: logDirectory.appending("\(name).log"),
            workingDirectory: logDirectory.path,
            standardInput: FileHandle(fileDescriptor: listener, closeOnDealloc: false)
        )
    }
}

/// A TCP socket bound to an ephemeral port of 127.0.0.1 (not listening yet), and that port.
func boundLoopbackSocket() throws -> (descriptor: Int32, port: Int) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw SupportError("socket() failed: \(String(cString: strerror(errno)))") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard bound == 0, named == 0 else {
        let reason = String(cString: strerror(errno))
        close(descriptor)
        throw SupportError("bind() or getsockname() failed: \(reason)")
    }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}

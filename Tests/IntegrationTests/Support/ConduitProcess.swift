import Dispatch
import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A child process (one of Conduit's binaries, or any tool) whose output goes to a log file.
///
/// ```swift
/// let ingest = try ConduitProcess.launch("ingest", environment: [...], logDirectory: directory)
/// defer { ingest.kill() }
/// ...
/// ingest.terminate()
/// let status = await ingest.waitForExit(timeout: .seconds(10))
/// #expect(status == 0, "\(ingest.logContents)")
/// ```
///
/// - Important: a process that is neither terminated nor killed outlives the test run; use
///   ``ConduitCluster`` or stop it in every path.
///
/// `@unchecked Sendable`: every stored property is a `let`; `Process` synchronises `isRunning`
/// and `terminationStatus` internally, and signals are sent with `kill(2)` on the saved pid.
final class ConduitProcess: @unchecked Sendable, CustomStringConvertible {
    /// The name used in logs and messages (`ingest`, or the executable's file name).
    let name: String
    /// The path of the log file receiving stdout and stderr.
    let logPath: String
    /// The child's process id.
    let pid: Int32
    private let process: Process

    /// Launches one of the package's executables (`ingest`, `router`, `serve`) from
    /// ``binaryDirectory()``.
    ///
    /// - Parameters:
    ///   - environment: added to the test runner's environment, from which `DATABASE_URL` and every
    ///     `CONDUIT_*` variable are removed first so nothing leaks from the developer's shell.
    ///   - logDirectory: where `<name>.log` is written (appended to, so restarts keep history).
    static func launch(
        _ binary: String,
        arguments: [String] = [],
        environment: [String: String],
        logDirectory: TemporaryDirectory
    ) throws -> ConduitProcess {
        let executable = try binaryDirectory() + "/" + binary
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw SupportError("\(executable) does not exist: build first (swift build, or scripts/test)")
        }
        return try launch(
            executablePath: executable,
            arguments: arguments,
            environment: environment,
            logPath: logDirectory.appending("\(binary).log"),
            workingDirectory: logDirectory.path
        )
    }

    /// Runs one of the package's executables to its end (an operator subcommand such as
    /// `router status`) through ``OperatorCommand/run(_:_:environment:in:timeout:)``.
    static func run(
        _ binary: String, _ arguments: [String], environment: [String: String], directory: TemporaryDirectory,
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32?, output: String) {
        try await OperatorCommand.run(
            try binaryDirectory() + "/" + binary, arguments, environment: environment, in: directory, timeout: timeout)
    }

    /// Launches any executable with the same environment and logging rules.
    /// - Parameter standardInput: the child's descriptor 0 (`/dev/null` when nil), e.g. a socket
    ///   the child moves to descriptor 3 for systemd-style socket activation.
    static func launch(
        executablePath: String,
        arguments: [String] = [],
        environment: [String: String],
        logPath: String,
        workingDirectory: String? = nil,
        standardInput: FileHandle? = nil
    ) throws -> ConduitProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment.filter { key, _ in
            key != "DATABASE_URL" && !key.hasPrefix("CONDUIT_")
        }
        merged.merge(environment) { _, new in new }
        process.environment = merged
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }

        let descriptor = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SupportError("cannot open \(logPath): \(String(cString: strerror(errno)))") }
        let log = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = standardInput ?? FileHandle.nullDevice
        do {
            try runWithDefaultSignalMask(process)
        } catch {
            throw SupportError("could not launch \(executablePath): \(error)")
        }
        // The child has its own copy of the descriptor now.
        try? log.close()
        let name = URL(fileURLWithPath: executablePath).lastPathComponent
        return ConduitProcess(name: name, logPath: logPath, pid: process.processIdentifier, process: process)
    }

    /// Starts `process` from a new thread whose signal mask is empty.
    ///
    /// A child inherits the signal mask of the thread that spawns it, and `Process.run()` does not
    /// reset it. Tests run on Swift concurrency's pool threads, which block nearly every signal, so
    /// a child spawned from one would never see SIGTERM (seen: `SigBlk: fffffffe3bfbea27`), and
    /// ``terminate()`` would silently do nothing.
    private static func runWithDefaultSignalMask(_ process: Process) throws {
        /// Touched by one thread at a time: the spawner, then (after `done`) the caller.
        final class Handoff: @unchecked Sendable {
            let process: Process
            var failure: (any Error)?
            let done = DispatchSemaphore(value: 0)
            init(process: Process) { self.process = process }
        }
        let handoff = Handoff(process: process)
        let thread = Thread {
            var empty = sigset_t()
            sigemptyset(&empty)
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            do {
                try handoff.process.run()
            } catch {
                handoff.failure = error
            }
            handoff.done.signal()
        }
        thread.start()
        handoff.done.wait()
        if let failure = handoff.failure { throw failure }
    }

    private init(name: String, logPath: String, pid: Int32, process: Process) {
        self.name = name
        self.logPath = logPath
        self.pid = pid
        self.process = process
    }

    /// True until the child has exited (and been reaped).
    var isRunning: Bool { process.isRunning }

    /// Asks the process to stop cleanly (SIGTERM).
    func terminate() { signal(SIGTERM) }

    /// Stops the process at once (SIGKILL), as a crash would.
    func kill() { signal(SIGKILL) }

    /// Sends `signal` to the child while it runs.
    func signal(_ signal: Int32) {
        if process.isRunning { _ = Glibc.kill(pid, signal) }
    }

    /// Waits for the child to exit.
    ///
    /// - Returns: the exit status (for a signal death: 128 + the signal number, as a shell
    ///   reports it), or nil if it is still running after `timeout`.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exitStatus
    }

    /// The exit status once the child has exited (128 + signal for a signal death), else nil.
    var exitStatus: Int32? {
        guard !process.isRunning else { return nil }
        switch process.terminationReason {
        case .exit: return process.terminationStatus
        case .uncaughtSignal: return 128 + process.terminationStatus
        @unknown default: return process.terminationStatus
        }
    }

    /// SIGTERM, then SIGKILL if the process has not exited within `grace`. Returns the status.
    @discardableResult
    func stop(grace: Duration = .seconds(10)) async -> Int32? {
        terminate()
        if let status = await waitForExit(timeout: grace) { return status }
        kill()
        return await waitForExit(timeout: .seconds(10))
    }

    /// Everything the process wrote so far (stdout and stderr interleaved).
    var logContents: String {
        guard let data = FileManager.default.contents(atPath: logPath) else { return "(no log at \(logPath))" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The log for a failure message: the last `lines` lines, under a header naming the process.
    func logTail(lines: Int = 80) -> String {
        let all = logContents.split(separator: "\n", omittingEmptySubsequences: false)
        let state = exitStatus.map { "exited with \($0)" } ?? "running"
        return "--- \(name) (pid \(pid), \(state)), \(logPath):\n" + all.suffix(lines).joined(separator: "\n")
    }

    var description: String { "\(name)[\(pid)]" }

    // MARK: - Finding the binaries

    private static let cachedBinaryDirectory = Mutex<String?>(nil)

    /// Where the built executables are: `$CONDUIT_BIN_DIR` (exported by scripts/test), else
    /// `swift build --show-bin-path` run in the package root (found from this file's path).
    static func binaryDirectory() throws -> String {
        if let directory = ProcessInfo.processInfo.environment["CONDUIT_BIN_DIR"], !directory.isEmpty {
            return directory
        }
        if let cached = cachedBinaryDirectory.withLock({ $0 }) { return cached }
        let root = packageRoot()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "build", "--show-bin-path"]
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let directory = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !directory.isEmpty else {
            throw SupportError("`swift build --show-bin-path` failed in \(root); set CONDUIT_BIN_DIR")
        }
        cachedBinaryDirectory.withLock { $0 = directory }
        return directory
    }

    /// The package root: this file is `<root>/Tests/IntegrationTests/Support/ConduitProcess.swift`.
    static func packageRoot(filePath: String = #filePath) -> String {
        URL(fileURLWithPath: filePath)
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()  // IntegrationTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // root
            .path
    }
}

import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Runs an operator's command (a script of the repository, a system tool) to its end, the way a
/// runbook does, with its output captured.
enum OperatorCommand {
    /// Runs `executable` with `arguments` in `directory`; `environment` is added to the runner's
    /// (without `DATABASE_URL` and `CONDUIT_*`, as for every child of the tests).
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], in directory: TemporaryDirectory,
        timeout: Duration = .seconds(120)
    ) async throws -> (status: Int32?, output: String) {
        let name = (executable as NSString).lastPathComponent
        let process = try ConduitProcess.launch(
            executablePath: executable, arguments: arguments, environment: environment,
            logPath: directory.appending("\(name)-\(UInt32.random(in: 0...UInt32.max)).log"), workingDirectory: directory.path)
        let status = await process.waitForExit(timeout: timeout)
        if status == nil { process.kill() }
        return (status, process.logContents)
    }

    /// The full path of `command` on `PATH`, nil when there is none.
    static func which(_ command: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for directory in directories {
            let candidate = "\(directory)/\(command)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

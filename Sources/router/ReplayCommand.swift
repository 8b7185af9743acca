import ArgumentParser
import ConduitCore
import Foundation

/// `router replay --shape HANDLE … | --all`: rebuilds shapes' change logs from their snapshots and
/// the retained spool, without new snapshots, while router is stopped (it takes `router.lock`).
///
/// Exit status 0 when every shape asked for was rebuilt, 1 when any was refused (each refusal
/// says why: most often the spool no longer reaches back to the shape's snapshot).
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild shapes' change logs from their snapshots and the spool (router must be stopped)."
    )

    @Option(name: .customLong("shape"), help: "A shape handle to rebuild (repeatable).")
    var shapes: [String] = []

    @Flag(name: .long, help: "Rebuild every shape.")
    var all = false

    @OptionGroup var storage: StorageOption

    func validate() throws {
        guard shapes.isEmpty != !all else { throw ValidationError("give --shape HANDLE (one or more) or --all") }
    }

    func run() throws {
        let configuration = try RouterConfiguration(environment: storage.environment, databaseRequired: false)
        let lock: DirectoryLock
        do {
            lock = try DirectoryLock.acquire(directory: configuration.storage.root, name: RouterService.lockFileName)
        } catch {
            throw ValidationError("router is running on \(configuration.storage.root) (\(error)): stop it before replaying")
        }
        defer { withExtendedLifetime(lock) {} }
        let replay = try ShapeReplay(configuration: configuration)
        var failed = false
        for handle in all ? try replay.allHandles() : shapes {
            let outcome = replay.rebuild(handle)
            print(outcome.line)
            if case .refused = outcome { failed = true }
        }
        if failed { throw ExitCode.failure }
    }
}

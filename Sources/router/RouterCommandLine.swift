import ArgumentParser
import ConduitCore

/// `router`: spool → shape logs. See docs/ARCHITECTURE.md.
///
/// `router` alone runs it (`run` is the default subcommand); `router status` prints the
/// pipeline at a glance and `router replay` rebuilds shapes from the spool (router stopped).
@main
struct RouterCommandLine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router",
        abstract: "Routes the spool's changes into the shape logs.",
        discussion: "Configured by environment variables (README.md, \"Configuration\").",
        version: Conduit.version,
        subcommands: [Run.self, StatusCommand.self, ReplayCommand.self],
        defaultSubcommand: Run.self
    )
}

extension RouterCommandLine {
    /// Runs router until SIGTERM/SIGINT: then the transaction in progress is finished or left
    /// for replay, every shape log is committed and the checkpoint written, and router exits 0.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run router (the default).")

        func run() async throws {
            await ProcessStartup.run(process: "router") { context in
                let configuration = try RouterConfiguration(environment: context.environment)
                let router = try RouterService(configuration: configuration, logger: context.logger)
                let status = RouterStatusReporter(router: router)
                // Stopping commits the shape logs once (a few fsyncs); the bound covers a slow disk.
                return ProcessStartup.Plan(services: [status.service, router.service], gracefulShutdownBound: .seconds(30))
            }
        }
    }
}

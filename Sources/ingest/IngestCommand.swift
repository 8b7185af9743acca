import ArgumentParser
import ConduitCore

/// `ingest`: PostgreSQL logical replication → durable spool. See docs/ARCHITECTURE.md.
///
/// `ingest` alone runs it (`run` is the default subcommand); `ingest spool-inspect` prints what
/// the spool holds, read-only, beside a running ingest.
@main
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Streams PostgreSQL's changes into the durable spool.",
        discussion: "Configured by environment variables (README.md, \"Configuration\").",
        version: Conduit.version,
        subcommands: [Run.self, SpoolInspectCommand.self],
        defaultSubcommand: Run.self
    )
}

extension IngestCommand {
    /// Runs ingest until SIGTERM/SIGINT: then the spool is written, fsynced and confirmed to
    /// PostgreSQL, and ingest exits 0.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run ingest (the default).")

        func run() async throws {
            await ProcessStartup.run(process: "ingest") { context in
                let configuration = try IngestConfiguration(environment: context.environment)
                let ingest = IngestService(configuration: configuration, logger: context.logger)
                let status = IngestStatusReporter(
                    configuration: configuration, progress: ingest.progress, consumed: { ingest.routerConsumed }, logger: context.logger)
                // Stopping takes one group commit and one status update; the bound covers an fsync
                // on a slow disk.
                return ProcessStartup.Plan(services: [status.service, ingest.service], gracefulShutdownBound: .seconds(30))
            }
        }
    }
}

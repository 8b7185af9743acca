import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The one start-up path of ingest, router and serve.
///
/// 1. ``ProcessSettings`` (log level and format, metrics endpoint) are read;
/// 2. logging and metrics are bootstrapped, once;
/// 3. the process's own configuration is parsed by `prepare`, which returns its services — no
///    thread or socket exists before this point, and none is started before step 5;
/// 4. the metrics endpoint is bound when `CONDUIT_METRICS_PORT` is set;
/// 5. the services run in one `ServiceGroup`; SIGTERM/SIGINT start its graceful shutdown, which
///    stops services in reverse order (list the main loop last so status and metrics outlive it).
///
/// A ``ConfigurationError`` anywhere before step 5 ends the process with status 1 after one log
/// line, `Configuration is invalid` with `error=<VARIABLE>='<value>' is invalid: expected …`.
/// Any other start-up or run failure ends it with status 1 after one critical line; a graceful
/// stop ends it with status 0.
public enum ProcessStartup {
    /// What a process runs, in start order.
    public struct Plan: Sendable {
        public var services: [any Service]
        /// How long graceful shutdown may take before ServiceGroup cancels what is left.
        public var gracefulShutdownBound: Duration

        public init(services: [any Service], gracefulShutdownBound: Duration) {
            self.services = services
            self.gracefulShutdownBound = gracefulShutdownBound
        }
    }

    /// What `prepare` gets: the environment, the common settings and the bootstrapped logger.
    public struct Context: Sendable {
        public var environment: EnvironmentReader
        public var settings: ProcessSettings
        public var logger: Logger
    }

    /// Runs a process to its end and exits: never returns.
    public static func run(
        process: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        prepare: (Context) async throws -> Plan
    ) async -> Never {
        let reader = EnvironmentReader(environment)
        let settings: ProcessSettings
        do {
            settings = try ProcessSettings(environment: reader)
        } catch {
            let logger = LoggingSetup.bootstrap(process: process, level: .info, format: .text)
            fail(logger, error)
        }
        let logger = LoggingSetup.bootstrap(process: process, level: settings.logLevel, format: settings.logFormat)
        let registry = MetricsSetup.bootstrap()
        let plan: Plan
        var services: [any Service] = []
        do {
            if let port = settings.metricsPort {
                services.append(try MetricsEndpoint.bind(host: settings.metricsHost, port: port, registry: registry, logger: logger))
            }
            plan = try await prepare(Context(environment: reader, settings: settings, logger: logger))
        } catch {
            fail(logger, error)
        }
        do {
            try await serviceGroup(services: services + plan.services, bound: plan.gracefulShutdownBound, logger: logger).run()
        } catch {
            logger.critical("\(process) stopped on an error", metadata: [LogKey.error: "\(error)"])
            exit(1)
        }
        logger.info("\(process) stopped")
        exit(0)
    }

    /// The group every process runs: graceful shutdown on `signals`, bounded by `bound` (then the
    /// remaining services are cancelled). No cancellation bound: ServiceLifecycle answers an
    /// exceeded one with `fatalError`, which would turn a slow stop into a crash.
    public static func serviceGroup(
        services: [any Service], bound: Duration, signals: [UnixSignal] = [.sigterm, .sigint], logger: Logger
    ) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: signals, logger: logger)
        configuration.maximumGracefulShutdownDuration = bound
        return ServiceGroup(configuration: configuration)
    }

    private static func fail(_ logger: Logger, _ error: any Error) -> Never {
        if let error = error as? ConfigurationError {
            logger.critical("Configuration is invalid", metadata: [LogKey.error: "\(error)"])
        } else {
            logger.critical("Cannot start", metadata: [LogKey.error: "\(error)"])
        }
        exit(1)
    }
}

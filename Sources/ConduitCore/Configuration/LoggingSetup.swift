import Logging

/// Process-wide logging set-up, called once by ``ProcessStartup`` (never by tests: they pass
/// loggers of their own).
public enum LoggingSetup {
    /// How log lines are written: `CONDUIT_LOG_FORMAT`.
    public enum Format: String, Sendable, CaseIterable {
        /// swift-log's `StreamLogHandler` lines: time, level, label, `key=value` metadata, message.
        case text
        /// One JSON object per line (``JSONLogHandler``).
        case json
    }

    /// Bootstraps swift-log with a standard-error handler of `format` at `level`, and returns the
    /// process's logger (label `conduit.<process>`).
    public static func bootstrap(process: String, level: Logger.Level, format: Format) -> Logger {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                return JSONLogHandler(process: process, level: level)
            }
        }
        var logger = Logger(label: "conduit.\(process)")
        logger.logLevel = level
        return logger
    }
}

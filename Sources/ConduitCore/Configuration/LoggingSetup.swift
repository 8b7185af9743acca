import Logging

/// Process-wide logging set-up, called once from each executable's entry point.
public enum LoggingSetup {
    /// Bootstraps swift-log with a stderr handler at the level named by `CONDUIT_LOG_LEVEL`.
    public static func bootstrap(process: String, level: String) -> Logger {
        let parsed = Logger.Level(rawValue: level.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return handler
        }
        var logger = Logger(label: "conduit.\(process)")
        logger.logLevel = parsed
        return logger
    }
}

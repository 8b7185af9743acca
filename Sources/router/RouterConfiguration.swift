import ConduitCore

/// Everything router reads from its environment, parsed once at start-up.
struct RouterConfiguration: Sendable {
    var stream: StreamSettings
    /// Chunk size of shape logs (protocol.md §7.4), `CONDUIT_CHUNK_BYTES`.
    var chunkBytes: Int
    /// Seconds between checks that shapes' tables still exist under their names,
    /// `CONDUIT_TABLE_CHECK_SECONDS`.
    var tableCheckSeconds: Int

    var databaseURL: String { stream.databaseURL }
    var storage: StorageLayout { stream.storage }
    var publicationName: String { stream.publicationName }

    init(environment: [String: String]) throws(ConfigurationError) {
        stream = try StreamSettings(environment: environment, process: "router")
        chunkBytes = try ConfigurationError.integer(
            environment["CONDUIT_CHUNK_BYTES"] ?? "10485760", variable: "CONDUIT_CHUNK_BYTES", range: 1...1 << 30)
        tableCheckSeconds = try ConfigurationError.integer(
            environment["CONDUIT_TABLE_CHECK_SECONDS"] ?? "10", variable: "CONDUIT_TABLE_CHECK_SECONDS", range: 1...3600)
    }
}

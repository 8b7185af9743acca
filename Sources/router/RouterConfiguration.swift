import Shared

/// Everything router reads from its environment, parsed once at start-up.
struct RouterConfiguration: Sendable {
    var databaseURL: String
    var storage: StorageLayout
    var streamID: String
    /// Chunk size of shape logs (protocol.md §7.4), `CONDUIT_CHUNK_BYTES`.
    var chunkBytes: Int

    var publicationName: String { "conduit_pub_\(streamID)" }

    init(environment: [String: String]) throws(ConfigurationError) {
        guard let url = environment["DATABASE_URL"], !url.isEmpty else {
            throw ConfigurationError("DATABASE_URL is not set: give router a PostgreSQL connection URL")
        }
        databaseURL = url
        storage = StorageLayout(root: environment["CONDUIT_STORAGE_DIR"] ?? "./conduit-data")
        streamID = try ConfigurationError.streamID(environment["CONDUIT_STREAM_ID"] ?? "default")
        chunkBytes = try ConfigurationError.integer(
            environment["CONDUIT_CHUNK_BYTES"] ?? "10485760", variable: "CONDUIT_CHUNK_BYTES", range: 1...1 << 30)
    }
}

/// The settings ingest and router share: which database, which storage directory, and which
/// replication stream (publication `conduit_pub_<id>`, slot `conduit_slot_<id>`).
public struct StreamSettings: Sendable, Hashable {
    public var databaseURL: String
    public var storage: StorageLayout
    public var streamID: String

    public var publicationName: String { "conduit_pub_\(streamID)" }
    public var slotName: String { "conduit_slot_\(streamID)" }

    /// Reads `DATABASE_URL` (required), `CONDUIT_STORAGE_DIR` and `CONDUIT_STREAM_ID`.
    /// - Parameter process: named in the error when `DATABASE_URL` is missing.
    public init(environment: [String: String], process: String) throws(ConfigurationError) {
        guard let url = environment["DATABASE_URL"], !url.isEmpty else {
            throw ConfigurationError("DATABASE_URL is not set: give \(process) a PostgreSQL connection URL")
        }
        databaseURL = url
        storage = StorageLayout(root: environment["CONDUIT_STORAGE_DIR"] ?? "./conduit-data")
        streamID = try ConfigurationError.streamID(environment["CONDUIT_STREAM_ID"] ?? "default")
    }
}

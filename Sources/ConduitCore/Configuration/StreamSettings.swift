/// The settings ingest and router share: which database, which storage directory, and which
/// replication stream (publication `conduit_pub_<id>`, slot `conduit_slot_<id>`).
public struct StreamSettings: Sendable, Hashable {
    public var databaseURL: String
    public var storage: StorageLayout
    public var streamID: String

    public var publicationName: String { "conduit_pub_\(streamID)" }
    public var slotName: String { "conduit_slot_\(streamID)" }

    /// Reads `DATABASE_URL` (required unless `databaseRequired` is false: operator tools that
    /// only read the storage directory), `CONDUIT_STORAGE_DIR` and `CONDUIT_STREAM_ID`.
    /// - Parameter process: named in the error when `DATABASE_URL` is missing.
    public init(environment: EnvironmentReader, process: String, databaseRequired: Bool = true) throws(ConfigurationError) {
        databaseURL =
            databaseRequired
            ? try environment.required("DATABASE_URL", expected: "a PostgreSQL connection URL for \(process)")
            : environment["DATABASE_URL"] ?? ""
        storage = StorageLayout(environment: environment)
        streamID = try ConfigurationError.streamID(environment["CONDUIT_STREAM_ID"] ?? "default")
    }

    public init(databaseURL: String, storage: StorageLayout, streamID: String) {
        self.databaseURL = databaseURL
        self.storage = storage
        self.streamID = streamID
    }
}

extension StorageLayout {
    /// `CONDUIT_STORAGE_DIR`, `./conduit-data` when unset: the one default of the three processes.
    public init(environment: EnvironmentReader) {
        self.init(root: environment["CONDUIT_STORAGE_DIR"] ?? "./conduit-data")
    }
}

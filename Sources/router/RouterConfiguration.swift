import ConduitCore
import WhereClause

/// Everything router reads from its environment, parsed once at start-up.
struct RouterConfiguration: Sendable {
    var stream: StreamSettings
    /// Chunk size of shape logs (protocol.md §7.4), `CONDUIT_CHUNK_BYTES`.
    var chunkBytes: Int
    /// Seconds between checks that shapes' tables still exist under their names,
    /// `CONDUIT_TABLE_CHECK_SECONDS`.
    var tableCheckSeconds: Int
    /// Limits on router's own connections to PostgreSQL (catalog queries, DDL, snapshots).
    var database: DatabaseTimeouts
    /// Snapshots (table preparation + copy) that may run at once, `CONDUIT_MAX_CONCURRENT_SNAPSHOTS`.
    var maxConcurrentSnapshots: Int
    /// Shape requests that may wait for a catalog worker or a snapshot slot before new ones are
    /// answered 503, `CONDUIT_SHAPE_QUEUE_LIMIT`.
    var shapeQueueLimit: Int
    /// Shapes router keeps; creating one more evicts the least recently served,
    /// `CONDUIT_MAX_SHAPES`.
    var maxShapes: Int
    /// Bounds on the cost of every where clause (`CONDUIT_WHERE_MAX_*`).
    var whereLimits: WhereClauseLimits
    /// Bounds on subset snapshots (`CONDUIT_SUBSET_MAX_ROWS`, `CONDUIT_SUBSET_MAX_BYTES`,
    /// `CONDUIT_SUBSET_TIMEOUT_MS`).
    var subset: SubsetLimits
    /// Where router also accepts serve processes over TCP (`CONDUIT_ROUTER_LISTEN=host:port`),
    /// besides `router.sock`: for serve processes on hosts that share the storage directory but
    /// not the Unix socket. nil: Unix socket only.
    var listen: IPCAddress?
    /// Whether large group commits are made durable through the ``CommitJournal`` (one file
    /// flushed) rather than a flush of the file system, `CONDUIT_COMMIT_JOURNAL` (default true;
    /// only where `syncfs` exists, which the journal's checkpoints use).
    var commitJournal: Bool

    var databaseURL: String { stream.databaseURL }
    var storage: StorageLayout { stream.storage }
    var publicationName: String { stream.publicationName }

    /// - Parameter databaseRequired: false for `router replay`, which never connects.
    init(environment: EnvironmentReader, databaseRequired: Bool = true) throws(ConfigurationError) {
        stream = try StreamSettings(environment: environment, process: "router", databaseRequired: databaseRequired)
        func integer(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
            try environment.integer(name, default: fallback, in: range)
        }
        chunkBytes = try integer("CONDUIT_CHUNK_BYTES", 10_485_760, 1...1 << 30)
        tableCheckSeconds = try integer("CONDUIT_TABLE_CHECK_SECONDS", 10, 1...3600)
        database = DatabaseTimeouts(
            connectSeconds: try integer("CONDUIT_DB_CONNECT_TIMEOUT_SECONDS", 5, 2...600),
            statementMilliseconds: try integer("CONDUIT_DB_STATEMENT_TIMEOUT_MS", 10_000, 100...3_600_000),
            lockMilliseconds: try integer("CONDUIT_DB_LOCK_TIMEOUT_MS", 5_000, 100...3_600_000),
            openTransactionWaitSeconds: try integer("CONDUIT_SNAPSHOT_WAIT_SECONDS", 20, 1...3600)
        )
        maxConcurrentSnapshots = try integer("CONDUIT_MAX_CONCURRENT_SNAPSHOTS", 4, 1...64)
        shapeQueueLimit = try integer("CONDUIT_SHAPE_QUEUE_LIMIT", 1000, 1...1_000_000)
        maxShapes = try integer("CONDUIT_MAX_SHAPES", 100_000, 1...10_000_000)
        subset = SubsetLimits(
            maxRows: try integer("CONDUIT_SUBSET_MAX_ROWS", 10_000, 1...1_000_000),
            // At most 6 MiB: escaped for the socket it stays below the 16 MiB a peer may queue.
            maxBytes: try integer("CONDUIT_SUBSET_MAX_BYTES", 4 << 20, 1024...6 << 20),
            statementMilliseconds: try integer("CONDUIT_SUBSET_TIMEOUT_MS", 5_000, 100...600_000)
        )
        if let text = environment["CONDUIT_ROUTER_LISTEN"], !text.isEmpty {
            guard let address = IPCAddress(hostPort: text) else {
                throw ConfigurationError(variable: "CONDUIT_ROUTER_LISTEN", value: text, expected: "host:port, e.g. 10.0.0.5:7100")
            }
            listen = address
        }
        commitJournal = try environment.boolean("CONDUIT_COMMIT_JOURNAL") ?? true
        let defaults = WhereClauseLimits.default
        whereLimits = WhereClauseLimits(
            maxLength: try integer("CONDUIT_WHERE_MAX_LENGTH", defaults.maxLength, 16...1 << 24),
            // Deeper clauses need more stack than a worker thread's 8 MiB comfortably gives.
            maxDepth: try integer("CONDUIT_WHERE_MAX_DEPTH", defaults.maxDepth, 4...256),
            maxNodes: try integer("CONDUIT_WHERE_MAX_NODES", defaults.maxNodes, 16...1_000_000),
            maxListItems: try integer("CONDUIT_WHERE_MAX_LIST_ITEMS", defaults.maxListItems, 1...1_000_000),
            maxArrayElements: try integer("CONDUIT_WHERE_MAX_ARRAY_ELEMENTS", defaults.maxArrayElements, 1...1_000_000),
            maxParameters: try integer("CONDUIT_WHERE_MAX_PARAMETERS", defaults.maxParameters, 1...1_000_000),
            maxResultBytes: try integer("CONDUIT_WHERE_MAX_RESULT_BYTES", defaults.maxResultBytes, 1024...1 << 30),
            maxNumericDigits: try integer("CONDUIT_WHERE_MAX_NUMERIC_DIGITS", defaults.maxNumericDigits, 16...131_072),
            maxRowWork: try integer("CONDUIT_WHERE_MAX_ROW_WORK", defaults.maxRowWork, 10_000...1 << 40)
        )
    }
}

/// How long router waits for PostgreSQL before giving up on one request (never on the routing
/// loop, which does not talk to PostgreSQL at all).
struct DatabaseTimeouts: Sendable, Hashable {
    /// `connect_timeout` of every connection router opens.
    var connectSeconds: Int
    /// `statement_timeout` of catalog queries and DDL (not of snapshot copies, which may be long).
    var statementMilliseconds: Int
    /// `lock_timeout` of DDL and snapshot copies: a table locked by someone else fails the shape
    /// request (503, retried by the client) instead of holding a worker.
    var lockMilliseconds: Int
    /// How long a new shape waits for transactions that were open when its table was published.
    var openTransactionWaitSeconds: Int
}

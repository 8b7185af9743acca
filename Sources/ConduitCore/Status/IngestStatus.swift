/// `ingest.status`: the replication slot as ingest sees it, and what the spool holds.
public struct IngestStatus: ProcessStatusFile, Equatable {
    /// What ingest is doing.
    public enum Phase: String, Codable, Sendable {
        /// Recovering the spool, not yet connected.
        case starting
        /// Connecting, or waiting to retry after a failure.
        case connecting
        case streaming
        /// Not reading: router is more than `CONDUIT_MAX_ROUTER_LAG_BYTES` behind.
        case pausedForRouter = "paused-for-router"
        /// Not reading: the storage is full.
        case diskFull = "disk-full"
        case stopped
    }

    /// The spool's extent.
    public struct Spool: Codable, Sendable, Equatable {
        public var segments: Int
        public var bytes: UInt64
        /// Key (base LSN) of the oldest and the newest segment.
        public var firstSegment: LSN?
        public var lastSegment: LSN?

        public init(segments: Int, bytes: UInt64, firstSegment: LSN?, lastSegment: LSN?) {
            self.segments = segments
            self.bytes = bytes
            self.firstSegment = firstSegment
            self.lastSegment = lastSegment
        }
    }

    public var processID: Int32
    public var writtenAt: Double
    public var phase: Phase
    public var slot: String
    public var publication: String
    /// The flush LSN last confirmed to PostgreSQL.
    public var confirmedLSN: LSN?
    /// The server's WAL end as last reported (keepalive or data).
    public var serverWALEnd: LSN?
    public var lagBytes: UInt64
    public var lagSeconds: Double
    /// How far the spool is durable (what router may read).
    public var durable: SpoolDurablePosition?
    public var spool: Spool
    /// router's last reported position (commit end), if a router is connected.
    public var routerConsumed: LSN?

    public init(
        processID: Int32, writtenAt: Double, phase: Phase, slot: String, publication: String, confirmedLSN: LSN?,
        serverWALEnd: LSN?, lagBytes: UInt64, lagSeconds: Double, durable: SpoolDurablePosition?, spool: Spool,
        routerConsumed: LSN?
    ) {
        self.processID = processID
        self.writtenAt = writtenAt
        self.phase = phase
        self.slot = slot
        self.publication = publication
        self.confirmedLSN = confirmedLSN
        self.serverWALEnd = serverWALEnd
        self.lagBytes = lagBytes
        self.lagSeconds = lagSeconds
        self.durable = durable
        self.spool = spool
        self.routerConsumed = routerConsumed
    }
}

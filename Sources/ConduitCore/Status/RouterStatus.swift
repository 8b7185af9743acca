/// `router.status`: router's position in the spool, its lag and who is connected.
public struct RouterStatus: ProcessStatusFile, Equatable {
    public enum Phase: String, Codable, Sendable {
        /// Loading shapes; `router.sock` not yet listening.
        case starting
        case routing
        /// The storage is full; routing resumes once space is freed.
        case diskFull = "disk-full"
        case stopped
    }

    public var processID: Int32
    public var writtenAt: Double
    public var phase: Phase
    /// The durable position ingest last announced (nil: no ingest connected yet).
    public var durable: SpoolDurablePosition?
    /// The frame boundary router applied everything before, and the last commit's end.
    public var applied: SpoolPosition?
    public var appliedCommitEnd: LSN
    /// Seconds since 1970 when router last had applied everything durable.
    public var lastCaughtUpAt: Double?
    public var shapes: Int
    public var ingestConnected: Bool
    /// Process ids of the serve processes connected to `router.sock`.
    public var servePeers: [Int32]

    public init(
        processID: Int32, writtenAt: Double, phase: Phase, durable: SpoolDurablePosition?, applied: SpoolPosition?,
        appliedCommitEnd: LSN, lastCaughtUpAt: Double?, shapes: Int, ingestConnected: Bool, servePeers: [Int32]
    ) {
        self.processID = processID
        self.writtenAt = writtenAt
        self.phase = phase
        self.durable = durable
        self.applied = applied
        self.appliedCommitEnd = appliedCommitEnd
        self.lastCaughtUpAt = lastCaughtUpAt
        self.shapes = shapes
        self.ingestConnected = ingestConnected
        self.servePeers = servePeers
    }
}

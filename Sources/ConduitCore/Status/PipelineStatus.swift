import Foundation

/// The pipeline at a glance, as `router status` prints it and serve's `GET /v1/status` returns it:
/// the slot, the spool, router's checkpoint and lag, the shapes and the serve processes.
///
/// Everything comes from the storage directory (`ingest.status`, `router.status`,
/// `router.checkpoint`, `shapes/`), so it can be read whichever processes are down; `router
/// status` adds the slot as PostgreSQL reports it (``SlotStatus``).
public struct PipelineStatus: Codable, Sendable {
    /// The pipeline's state, worst first.
    public enum State: String, Codable, Sendable {
        /// router is not running: shapes are served from disk but do not advance.
        case routerDown = "router-down"
        /// ingest is not running (it ran before): nothing new reaches the spool.
        case ingestDown = "ingest-down"
        /// A process is starting (recovering, loading shapes, connecting to PostgreSQL).
        case starting
        /// router is behind the spool and has been for more than ``lagGraceSeconds``.
        case lagging
        /// Everything durable in the spool is in the shape logs.
        case caughtUp = "caught-up"
    }

    /// A position router has applied, from its checkpoint file.
    public struct Checkpoint: Codable, Sendable, Equatable {
        public var position: SpoolPosition
        public var commitEndLSN: LSN
        public var lastCommitLSN: LSN
    }

    /// Lag shorter than this is normal traffic, not "lagging".
    public static let lagGraceSeconds = 2.0

    public var state: State
    /// Why, in a few words.
    public var detail: String
    public var ingest: IngestStatus?
    public var ingestRunning: Bool
    public var router: RouterStatus?
    public var routerRunning: Bool
    public var checkpoint: Checkpoint?
    /// WAL bytes router is behind what the spool holds durably.
    public var routerLagBytes: UInt64
    /// Seconds router has been behind (0 when caught up).
    public var routerLagSeconds: Double
    public var shapes: ShapesSummary
    /// The slot as PostgreSQL reports it, when asked (`router status`).
    public var slot: SlotStatus?
    /// The serve instance answering (`GET /v1/status` only).
    public var serve: ServeInstance?

    /// A serve process describing itself.
    public struct ServeInstance: Codable, Sendable, Equatable {
        public var instance: String
        public var processID: Int32
        public var routerConnected: Bool

        public init(instance: String, processID: Int32, routerConnected: Bool) {
            self.instance = instance
            self.processID = processID
            self.routerConnected = routerConnected
        }
    }

    /// Reads every status source in `layout` at time `now`.
    public static func read(_ layout: StorageLayout, now: Double = wallClockSeconds()) -> PipelineStatus {
        let ingest = IngestStatus.read(from: layout.ingestStatus)
        let router = RouterStatus.read(from: layout.routerStatus)
        let checkpoint = (try? ChecksummedFile.read(path: layout.routerCheckpoint)).flatMap { bytes in
            try? JSONDecoder().decode(Checkpoint.self, from: Data(bytes ?? []))
        }
        return PipelineStatus(
            ingest: ingest, ingestRunning: ingest.map { $0.writerIsAlive && $0.phase != .stopped } ?? false,
            router: router, routerRunning: router.map { $0.writerIsAlive && $0.phase != .stopped } ?? false,
            checkpoint: checkpoint, shapes: ShapesSummary.scan(layout), now: now)
    }

    /// Classifies what was read (pure: tests feed it each state).
    public init(
        ingest: IngestStatus?, ingestRunning: Bool, router: RouterStatus?, routerRunning: Bool, checkpoint: Checkpoint?,
        shapes: ShapesSummary, now: Double
    ) {
        self.ingest = ingest
        self.ingestRunning = ingestRunning
        self.router = router
        self.routerRunning = routerRunning
        self.checkpoint = checkpoint
        self.shapes = shapes
        // router's own view is fresher when it runs; a stopped router's position is its checkpoint.
        let appliedPosition = routerRunning ? router?.applied : checkpoint?.position
        let appliedCommitEnd = (routerRunning ? router?.appliedCommitEnd : checkpoint?.commitEndLSN) ?? .zero
        // ingest's durable position is the freshest; router's copy of it when ingest is gone.
        let durable = ingestRunning ? (ingest?.durable ?? router?.durable) : (router?.durable ?? ingest?.durable)
        if let durable, durable.position != appliedPosition, durable.commitEndLSN > appliedCommitEnd {
            routerLagBytes = durable.commitEndLSN.value - appliedCommitEnd.value
        } else {
            routerLagBytes = 0
        }
        let caughtUpAt = router?.lastCaughtUpAt ?? router?.writtenAt ?? now
        routerLagSeconds = routerLagBytes > 0 ? max(0, now - caughtUpAt) : 0
        if !routerRunning {
            state = .routerDown
            detail = router == nil ? "router has not run on this storage directory" : "router is not running"
        } else if ingest != nil && !ingestRunning {
            state = .ingestDown
            detail = "ingest is not running"
        } else if router?.phase == .starting || ingest == nil || ingest?.phase == .starting || durable == nil {
            state = .starting
            detail = router?.phase == .starting ? "router is loading shapes" : "ingest has not made anything durable yet"
        } else if routerLagBytes > 0 && routerLagSeconds > Self.lagGraceSeconds {
            state = .lagging
            detail = "router is \(routerLagBytes) WAL bytes behind the spool for \(Int(routerLagSeconds)) s"
        } else {
            state = .caughtUp
            detail =
                ingest?.phase == .connecting
                ? "router has everything in the spool; ingest is reconnecting" : "router has everything in the spool"
        }
    }
}

/// The replication slot as PostgreSQL reports it (`pg_replication_slots`).
public struct SlotStatus: Codable, Sendable, Equatable {
    public var name: String
    public var exists: Bool
    public var active: Bool
    public var confirmedFlushLSN: LSN?
    public var restartLSN: LSN?
    /// WAL PostgreSQL keeps for the slot: current WAL LSN − restart LSN.
    public var retainedWALBytes: UInt64?
    /// `reserved`, `extended`, `unreserved` or `lost` (PostgreSQL 13+).
    public var walStatus: String?
    /// Set when PostgreSQL could not be asked.
    public var error: String?

    public init(
        name: String, exists: Bool, active: Bool, confirmedFlushLSN: LSN?, restartLSN: LSN?, retainedWALBytes: UInt64?,
        walStatus: String?, error: String?
    ) {
        self.name = name
        self.exists = exists
        self.active = active
        self.confirmedFlushLSN = confirmedFlushLSN
        self.restartLSN = restartLSN
        self.retainedWALBytes = retainedWALBytes
        self.walStatus = walStatus
        self.error = error
    }
}

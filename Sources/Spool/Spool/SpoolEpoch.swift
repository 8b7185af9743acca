import ConduitCore

/// Which PostgreSQL replication stream a spool continues: the server (system identifier and
/// timeline, from `IDENTIFY_SYSTEM`), the database and the replication slot.
///
/// If any of these differ from what the server reports on connect, the spool cannot continue:
/// a failover, a restore or another server may lack (or have different) transactions after the
/// spool's end, and another slot has its own position. ingest then starts a new epoch.
public struct SpoolStreamIdentity: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `IDENTIFY_SYSTEM`'s `systemid`: fixed at `initdb`, shared by physical standbys.
    public var systemIdentifier: UInt64
    /// `IDENTIFY_SYSTEM`'s `timeline`: changes on every promotion and point-in-time restore.
    public var timeline: UInt32
    public var database: String
    public var slot: String

    public init(systemIdentifier: UInt64, timeline: UInt32, database: String, slot: String) {
        self.systemIdentifier = systemIdentifier
        self.timeline = timeline
        self.database = database
        self.slot = slot
    }

    /// The identity of spools written without one (tests and tools): every field zero or empty.
    public static let unidentified = SpoolStreamIdentity(systemIdentifier: 0, timeline: 0, database: "", slot: "")

    public var description: String {
        "system \(systemIdentifier) timeline \(timeline) database \(database) slot \(slot)"
    }
}

/// One unbroken replication stream recorded in the spool, stored in every version-2 segment
/// header (layout in ``SpoolFormat``).
///
/// Epochs are numbered from 1 (0: a version-1 spool adopted on upgrade, or a spool written
/// without identity). Every epoch after the first of a spool begins with a stream-reset frame.
public struct SpoolEpoch: Hashable, Sendable, CustomStringConvertible {
    public var number: UInt32
    /// The LSN the epoch's slot started streaming from (its consistent point); 0 when unknown.
    public var start: LSN
    public var identity: SpoolStreamIdentity

    public init(number: UInt32, start: LSN, identity: SpoolStreamIdentity) {
        self.number = number
        self.start = start
        self.identity = identity
    }

    /// The epoch of segments written without a stream identity.
    public static let unidentified = SpoolEpoch(number: 0, start: .zero, identity: .unidentified)

    public var description: String { "epoch \(number) from \(start) (\(identity))" }
}

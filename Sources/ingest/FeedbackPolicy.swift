import ConduitCore
import Spool

/// Decides what ingest confirms to PostgreSQL in standby status updates, and when.
///
/// Pure value type (no I/O) so the rules are unit-tested on their own:
/// - `flushed` is exactly the spool's durable stream position: the end of the last fsync'd
///   commit, or a later keepalive position once *it* is fsync'd. Nothing else is ever confirmed,
///   keepalive replies included, so PostgreSQL's confirmed position never passes what is on disk
///   and a restart never finds the slot ahead of the spool.
/// - When ingest is between transactions it may record the walEnd of the latest keepalive in the
///   spool (``positionToRecord(now:)``): otherwise a slot whose publication sees no changes never
///   advances and unrelated write traffic makes `pg_wal` grow without bound. The position frame
///   is written after every pending commit, so it becomes durable — and confirmable — only when
///   everything received before it is: a keepalive that arrives while a group commit is written
///   but not yet synced cannot run ahead of it.
/// - An update goes out when the server asks for one, when the reported position moved, and at
///   least every `interval` seconds even while reading is paused for back-pressure, so the
///   walsender never times out.
struct FeedbackPolicy {
    var interval: Double
    /// Least seconds between two recorded keepalive positions (each costs a frame and an fsync).
    var positionInterval: Double
    private(set) var durable: LSN = .zero
    /// The walEnd of the latest keepalive received between transactions: the stream holds
    /// nothing before it that ingest has not received. Not confirmed until recorded and durable.
    private(set) var idleWalEnd: LSN = .zero
    private var lastRecorded: LSN = .zero
    private var lastRecordTime: Double = -.infinity
    private var lastSentFlushed: LSN?
    private var lastSentTime: Double = -.infinity
    private var replyRequested = false

    init(interval: Double, positionInterval: Double = 1) {
        self.interval = interval
        self.positionInterval = positionInterval
    }

    /// The spool is durable up to stream position `lsn` (a commit end or a recorded position).
    mutating func spoolFlushed(upTo lsn: LSN) {
        durable = max(durable, lsn)
    }

    /// A new stream epoch starts at `lsn` (a new slot): positions of the old stream no longer
    /// apply, even when they were higher (a restored server).
    mutating func restart(at lsn: LSN) {
        durable = lsn
        idleWalEnd = lsn
        lastRecorded = lsn
        lastSentFlushed = nil
    }

    /// A new replication connection starts. A keepalive's walEnd vouches only for what the
    /// spool held (or was about to write) on its own connection; after a failure the spool may
    /// have dropped unwritten commits that PostgreSQL sends again, so the old walEnd is forgotten
    /// (recording it would skip them).
    mutating func connectionStarted() {
        idleWalEnd = durable
    }

    /// A keepalive arrived. `idle` is true when ingest is between transactions (its spool holds
    /// no partial transaction); pending or unsynced commits do not matter, see the type's notes.
    mutating func keepaliveReceived(walEnd: LSN, replyRequested: Bool, idle: Bool) {
        if idle { idleWalEnd = max(idleWalEnd, walEnd) }
        if replyRequested { self.replyRequested = true }
    }

    /// The keepalive position to record in the spool now, if one is worth a frame: past
    /// everything durable, not yet recorded, and `positionInterval` after the last one. Call only
    /// at a transaction boundary. `force` skips the interval (a clean stop records the last one).
    mutating func positionToRecord(now: Double, force: Bool = false) -> LSN? {
        guard idleWalEnd > durable, idleWalEnd > lastRecorded, force || now - lastRecordTime >= positionInterval else { return nil }
        lastRecorded = idleWalEnd
        lastRecordTime = now
        return idleWalEnd
    }

    /// The position to confirm as written and flushed.
    var flushed: LSN { durable }

    /// The update to send now, if one is due.
    mutating func updateDue(now: Double) -> StandbyStatusUpdate? {
        let position = flushed
        let due = replyRequested || lastSentFlushed != position || now - lastSentTime >= interval
        guard due else { return nil }
        replyRequested = false
        lastSentFlushed = position
        lastSentTime = now
        return StandbyStatusUpdate(
            written: position,
            flushed: position,
            applied: position,
            clientTime: StandbyStatusUpdate.postgresMicrosecondsNow()
        )
    }
}

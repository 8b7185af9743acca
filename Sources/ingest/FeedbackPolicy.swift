import ConduitCore
import Spool

/// Decides what ingest confirms to PostgreSQL in standby status updates, and when.
///
/// Pure value type (no I/O) so the rules are unit-tested on their own:
/// - `flushed` is the end LSN of the last commit that is fsync'd in the spool. Nothing that is
///   not durable is ever confirmed.
/// - When ingest is idle — between transactions, with every spooled commit durable — it also
///   confirms the walEnd of the latest keepalive. Otherwise a slot whose publication sees no
///   changes never advances and unrelated write traffic makes `pg_wal` grow without bound.
/// - An update goes out when the server asks for one, when the reported position moved, and at
///   least every `interval` seconds even while reading is paused for back-pressure, so the
///   walsender never times out.
struct FeedbackPolicy {
    var interval: Double
    private(set) var durable: LSN = .zero
    private(set) var idleWalEnd: LSN = .zero
    private var lastSentFlushed: LSN?
    private var lastSentTime: Double = -.infinity
    private var replyRequested = false

    init(interval: Double) {
        self.interval = interval
    }

    /// The spool is durable up to the commit ending at `lsn`.
    mutating func spoolFlushed(upTo lsn: LSN) {
        durable = max(durable, lsn)
    }

    /// A keepalive arrived. `idle` is true when ingest is between transactions and holds no
    /// commit that is not yet durable.
    mutating func keepaliveReceived(walEnd: LSN, replyRequested: Bool, idle: Bool) {
        if idle { idleWalEnd = max(idleWalEnd, walEnd) }
        if replyRequested { self.replyRequested = true }
    }

    /// The position to confirm as written and flushed.
    var flushed: LSN { max(durable, idleWalEnd) }

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

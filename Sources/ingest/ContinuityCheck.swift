import ConduitCore
import Spool

/// Decides, on every connect, whether the spool can continue the replication stream PostgreSQL
/// offers, or whether continuity was lost and a new stream epoch must start (a *reset*).
///
/// Pure value logic (no I/O), unit-tested on its own; ``StreamStart`` gathers the facts
/// (`IDENTIFY_SYSTEM`, `pg_replication_slots`, the recovered spool) and carries out the decision.
///
/// The spool may continue only if PostgreSQL will send every transaction after the spool's end:
/// the same server history (system identifier and timeline), database and slot, a server whose
/// WAL reaches the spool's end, and a slot that still has the WAL (`wal_status` not `lost`) and
/// was not confirmed past the spool's end. ingest confirms only positions the spool holds
/// (``FeedbackPolicy``), so a slot ahead of the spool was recreated or advanced by someone else:
/// the WAL in between is gone. Anything else is a reset, never a silent gap.
///
/// An empty spool in a storage directory without router state is a first start: there is no
/// shape to invalidate, so a slot that already exists (created beforehand) is simply used. With
/// router state (shapes or a checkpoint) an empty spool is a lost one, and a reset.
enum ContinuityCheck {
    /// What the recovered spool says.
    struct SpoolState: Equatable {
        /// The current segment's epoch; nil for an empty or version-1 spool.
        var epoch: SpoolEpoch?
        var isEmpty: Bool
        /// The stream position the spool ends at (``SpoolWriter/lastCommitEndLSN``).
        var end: LSN?
        /// Recovery left a damaged tail to be judged against the slot.
        var hasUnresolvedTail: Bool
        /// router state exists in the storage directory (a checkpoint or shapes): an empty spool
        /// there means the spool was lost, not that the stream is new.
        var storageHasHistory: Bool
    }

    /// What `IDENTIFY_SYSTEM` says, with the configured slot name.
    struct ServerState: Equatable {
        var identity: SpoolStreamIdentity
        /// The server's flushed WAL position (`xlogpos`).
        var walPosition: LSN
    }

    /// The stream's row in `pg_replication_slots`, if it exists.
    struct SlotState: Equatable {
        var walStatus: String?
        var confirmedFlush: LSN?
        /// The walsender streaming from it, if any.
        var activePID: Int32?
    }

    enum Decision: Equatable {
        /// Continue from the spool's end with the existing slot.
        case resume(from: LSN)
        /// A version-1 spool that passes every check: record this identity (epoch 0) and continue.
        case adopt(SpoolEpoch)
        /// Nothing was ever streamed into this storage directory, so nothing downstream can be
        /// stale: start epoch 1 without a reset record, from the existing slot's confirmed
        /// position (a slot created for us beforehand) or, when nil, from a new slot.
        case firstEpoch(existingSlotFrom: LSN?)
        /// Continuity is lost: start epoch `epoch` from a new slot, with a reset record.
        case reset(ResetCause, epoch: UInt32)
        /// The slot confirmed more than the spool holds intact, and recovery found a damaged tail:
        /// confirmed data is damaged; stop for an operator.
        case damagedTail(confirmed: LSN)
        /// Another walsender streams from the slot (another ingest with this stream id?): retry later.
        case slotBusy(pid: Int32)
    }

    static func decide(spool: SpoolState, server: ServerState, slot: SlotState?) -> Decision {
        if let pid = slot?.activePID { return .slotBusy(pid: pid) }
        let next = (spool.epoch?.number ?? 0) + 1
        guard !spool.isEmpty, let end = spool.end else {
            guard spool.storageHasHistory else {
                guard let slot, slot.walStatus != "lost", let confirmed = slot.confirmedFlush else {
                    return .firstEpoch(existingSlotFrom: nil)
                }
                return .firstEpoch(existingSlotFrom: confirmed)
            }
            return .reset(.spoolMissing(slotExists: slot != nil), epoch: next)
        }
        if let known = spool.epoch?.identity {
            let now = server.identity
            if known.systemIdentifier != now.systemIdentifier {
                return .reset(.systemChanged(from: known.systemIdentifier, to: now.systemIdentifier), epoch: next)
            }
            if known.timeline != now.timeline { return .reset(.timelineChanged(from: known.timeline, to: now.timeline), epoch: next) }
            if known.database != now.database { return .reset(.databaseChanged(from: known.database, to: now.database), epoch: next) }
            if known.slot != now.slot { return .reset(.slotChanged(from: known.slot, to: now.slot), epoch: next) }
        }
        if server.walPosition < end { return .reset(.serverBehindSpool(server: server.walPosition, spool: end), epoch: next) }
        guard let slot else { return .reset(.slotMissing(slot: server.identity.slot), epoch: next) }
        if slot.walStatus == "lost" { return .reset(.slotInvalidated(slot: server.identity.slot), epoch: next) }
        if let confirmed = slot.confirmedFlush, confirmed > end {
            if spool.hasUnresolvedTail { return .damagedTail(confirmed: confirmed) }
            return .reset(.slotAhead(slot: server.identity.slot, confirmed: confirmed, spool: end), epoch: next)
        }
        if spool.epoch == nil { return .adopt(SpoolEpoch(number: 0, start: .zero, identity: server.identity)) }
        return .resume(from: end)
    }
}

/// Why a stream was reset: one sentence for the log line and the reset record.
enum ResetCause: Equatable, CustomStringConvertible {
    case spoolMissing(slotExists: Bool)
    case slotMissing(slot: String)
    case slotInvalidated(slot: String)
    case slotAhead(slot: String, confirmed: LSN, spool: LSN)
    case systemChanged(from: UInt64, to: UInt64)
    case timelineChanged(from: UInt32, to: UInt32)
    case databaseChanged(from: String, to: String)
    case slotChanged(from: String, to: String)
    case serverBehindSpool(server: LSN, spool: LSN)

    var description: String {
        switch self {
        case .spoolMissing(let slotExists):
            return "the spool is empty although this stream was used before ("
                + (slotExists ? "its replication slot exists" : "router state exists") + "): the spool was moved away or lost"
        case .slotMissing(let slot):
            return "replication slot \(slot) no longer exists (dropped while ingest was not streaming)"
        case .slotInvalidated(let slot):
            return
                "replication slot \(slot) was invalidated (wal_status 'lost', max_slot_wal_keep_size): PostgreSQL removed WAL that was never spooled"
        case .slotAhead(let slot, let confirmed, let spool):
            return "replication slot \(slot) is confirmed up to \(confirmed) but the spool ends at \(spool): "
                + "the slot was recreated or advanced elsewhere and the WAL in between is gone"
        case .systemChanged(let from, let to):
            return "the server's system identifier changed from \(from) to \(to): this is another database cluster"
        case .timelineChanged(let from, let to):
            return
                "the server moved from timeline \(from) to \(to) (failover or point-in-time restore): its history may differ from the spool's"
        case .databaseChanged(let from, let to):
            return "the stream's database changed from \(from) to \(to)"
        case .slotChanged(let from, let to):
            return "the replication slot changed from \(from) to \(to) (CONDUIT_STREAM_ID changed)"
        case .serverBehindSpool(let server, let spool):
            return "the server's WAL ends at \(server), before the spool's end \(spool): it was restored from an older state"
        }
    }
}

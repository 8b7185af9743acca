import ConduitCore
import Spool
import Testing

@testable import Ingest

struct ContinuityCheckTests {
    static let identity = SpoolStreamIdentity(systemIdentifier: 42, timeline: 1, database: "app", slot: "conduit_slot_default")
    static let epoch = SpoolEpoch(number: 3, start: LSN(100), identity: identity)
    static let spool = ContinuityCheck.SpoolState(
        epoch: epoch, isEmpty: false, end: LSN(5000), hasUnresolvedTail: false, storageHasHistory: true)
    static let server = ContinuityCheck.ServerState(identity: identity, walPosition: LSN(9000))
    static let slot = ContinuityCheck.SlotState(walStatus: "reserved", confirmedFlush: LSN(4000), activePID: nil)

    @Test func theSameStreamResumesFromTheSpoolsEnd() {
        #expect(ContinuityCheck.decide(spool: Self.spool, server: Self.server, slot: Self.slot) == .resume(from: LSN(5000)))
        var exact = Self.slot
        exact.confirmedFlush = LSN(5000)
        #expect(ContinuityCheck.decide(spool: Self.spool, server: Self.server, slot: exact) == .resume(from: LSN(5000)))
    }

    @Test func everyBreakInContinuityIsAResetToTheNextEpoch() {
        func decide(
            spool: ContinuityCheck.SpoolState = Self.spool, server: ContinuityCheck.ServerState = Self.server,
            slot: ContinuityCheck.SlotState? = Self.slot
        ) -> ContinuityCheck.Decision {
            ContinuityCheck.decide(spool: spool, server: server, slot: slot)
        }
        let name = Self.identity.slot
        #expect(decide(slot: nil) == .reset(.slotMissing(slot: name), epoch: 4))
        #expect(
            decide(slot: .init(walStatus: "lost", confirmedFlush: LSN(4000), activePID: nil))
                == .reset(.slotInvalidated(slot: name), epoch: 4))
        #expect(
            decide(slot: .init(walStatus: "reserved", confirmedFlush: LSN(6000), activePID: nil))
                == .reset(.slotAhead(slot: name, confirmed: LSN(6000), spool: LSN(5000)), epoch: 4))
        var server = Self.server
        server.identity.systemIdentifier = 43
        #expect(decide(server: server) == .reset(.systemChanged(from: 42, to: 43), epoch: 4))
        server = Self.server
        server.identity.timeline = 2
        #expect(decide(server: server) == .reset(.timelineChanged(from: 1, to: 2), epoch: 4))
        server = Self.server
        server.identity.slot = "conduit_slot_other"
        #expect(decide(server: server) == .reset(.slotChanged(from: name, to: "conduit_slot_other"), epoch: 4))
        server = Self.server
        server.identity.database = "other"
        #expect(decide(server: server) == .reset(.databaseChanged(from: "app", to: "other"), epoch: 4))
        server = Self.server
        server.walPosition = LSN(4999)
        #expect(decide(server: server) == .reset(.serverBehindSpool(server: LSN(4999), spool: LSN(5000)), epoch: 4))
    }

    @Test func anEmptySpoolIsANewStreamOnlyWithoutAnyHistory() {
        var empty = ContinuityCheck.SpoolState(epoch: nil, isEmpty: true, end: nil, hasUnresolvedTail: false, storageHasHistory: false)
        #expect(ContinuityCheck.decide(spool: empty, server: Self.server, slot: nil) == .firstEpoch(existingSlotFrom: nil))
        // A slot created beforehand is used from its position: nothing downstream can be stale.
        #expect(ContinuityCheck.decide(spool: empty, server: Self.server, slot: Self.slot) == .firstEpoch(existingSlotFrom: LSN(4000)))
        let lost = ContinuityCheck.SlotState(walStatus: "lost", confirmedFlush: LSN(4000), activePID: nil)
        #expect(ContinuityCheck.decide(spool: empty, server: Self.server, slot: lost) == .firstEpoch(existingSlotFrom: nil))
        // With router state (shapes, a checkpoint) an empty spool is a lost one.
        empty.storageHasHistory = true
        #expect(ContinuityCheck.decide(spool: empty, server: Self.server, slot: nil) == .reset(.spoolMissing(slotExists: false), epoch: 1))
        #expect(
            ContinuityCheck.decide(spool: empty, server: Self.server, slot: Self.slot) == .reset(.spoolMissing(slotExists: true), epoch: 1))
    }

    @Test func aDamagedTailBehindTheConfirmedPositionStops() {
        var spool = Self.spool
        spool.hasUnresolvedTail = true
        #expect(ContinuityCheck.decide(spool: spool, server: Self.server, slot: Self.slot) == .resume(from: LSN(5000)))
        let ahead = ContinuityCheck.SlotState(walStatus: "reserved", confirmedFlush: LSN(6000), activePID: nil)
        #expect(ContinuityCheck.decide(spool: spool, server: Self.server, slot: ahead) == .damagedTail(confirmed: LSN(6000)))
        #expect(
            ContinuityCheck.decide(spool: spool, server: Self.server, slot: nil) == .reset(.slotMissing(slot: Self.identity.slot), epoch: 4)
        )
    }

    @Test func aVersion1SpoolIsAdoptedWhenTheSlotStillCoversIt() {
        var legacy = Self.spool
        legacy.epoch = nil
        #expect(
            ContinuityCheck.decide(spool: legacy, server: Self.server, slot: Self.slot)
                == .adopt(SpoolEpoch(number: 0, start: .zero, identity: Self.identity)))
        #expect(
            ContinuityCheck.decide(spool: legacy, server: Self.server, slot: nil)
                == .reset(.slotMissing(slot: Self.identity.slot), epoch: 1))
    }

    @Test func aSlotInUseIsRetriedNotReset() {
        let busy = ContinuityCheck.SlotState(walStatus: "lost", confirmedFlush: nil, activePID: 777)
        #expect(ContinuityCheck.decide(spool: Self.spool, server: Self.server, slot: busy) == .slotBusy(pid: 777))
    }
}

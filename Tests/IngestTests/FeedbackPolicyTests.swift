import ConduitCore
import Testing

@testable import Ingest

struct FeedbackPolicyTests {
    @Test func confirmsOnlyWhatIsDurable() {
        var policy = FeedbackPolicy(interval: 10)
        #expect(policy.updateDue(now: 0)?.flushed == LSN(0))
        policy.keepaliveReceived(walEnd: LSN(500), replyRequested: false, idle: false)
        #expect(policy.flushed == LSN(0))
        policy.spoolFlushed(upTo: LSN(300))
        #expect(policy.updateDue(now: 1)?.flushed == LSN(300))
    }

    /// The race of issue 7: a keepalive answered while a group commit is written but not yet
    /// synced must not confirm its walEnd (nor the commit).
    @Test func aKeepaliveDuringAnUnsyncedGroupCommitConfirmsNothingNew() {
        var policy = FeedbackPolicy(interval: 10, positionInterval: 1)
        policy.spoolFlushed(upTo: LSN(300))
        _ = policy.updateDue(now: 0)
        // A commit ending at 500 is written; its fsync is still running. A keepalive asks for a reply.
        policy.keepaliveReceived(walEnd: LSN(9000), replyRequested: true, idle: true)
        let reply = policy.updateDue(now: 0.1)
        #expect(reply?.flushed == LSN(300), "answered at once, with only what is durable")
        #expect(reply?.written == LSN(300))
        // The walEnd goes into the spool behind the commit; confirmed only once that is durable.
        #expect(policy.positionToRecord(now: 0.1) == LSN(9000))
        policy.spoolFlushed(upTo: LSN(500))
        #expect(policy.updateDue(now: 0.2)?.flushed == LSN(500))
        policy.spoolFlushed(upTo: LSN(9000))
        #expect(policy.updateDue(now: 0.3)?.flushed == LSN(9000))
    }

    @Test func idleKeepalivesAreRecordedAtMostOncePerInterval() {
        var policy = FeedbackPolicy(interval: 10, positionInterval: 1)
        policy.spoolFlushed(upTo: LSN(300))
        policy.keepaliveReceived(walEnd: LSN(200), replyRequested: false, idle: true)
        #expect(policy.positionToRecord(now: 0) == nil, "nothing past what is durable")
        policy.keepaliveReceived(walEnd: LSN(1000), replyRequested: false, idle: true)
        #expect(policy.positionToRecord(now: 0) == LSN(1000))
        policy.keepaliveReceived(walEnd: LSN(2000), replyRequested: false, idle: true)
        #expect(policy.positionToRecord(now: 0.5) == nil)
        #expect(policy.positionToRecord(now: 0.5, force: true) == LSN(2000))
        #expect(policy.positionToRecord(now: 5) == nil, "already recorded")
        policy.keepaliveReceived(walEnd: LSN(3000), replyRequested: false, idle: false)
        #expect(policy.positionToRecord(now: 9) == nil, "inside a transaction a walEnd says nothing")
    }

    /// A keepalive received after commits that were then lost with their connection (a failed
    /// write) must not be recorded on the next one: it would claim the re-sent commits are in.
    @Test func aKeepalivePositionDoesNotOutliveItsConnection() {
        var policy = FeedbackPolicy(interval: 10, positionInterval: 1)
        policy.spoolFlushed(upTo: LSN(300))
        policy.keepaliveReceived(walEnd: LSN(9000), replyRequested: false, idle: true)
        policy.connectionStarted()
        #expect(policy.positionToRecord(now: 5) == nil)
        policy.keepaliveReceived(walEnd: LSN(9500), replyRequested: false, idle: true)
        #expect(policy.positionToRecord(now: 6) == LSN(9500))
    }

    @Test func sendsPeriodicallyAndOnRequestEvenWithoutProgress() {
        var policy = FeedbackPolicy(interval: 10)
        policy.spoolFlushed(upTo: LSN(100))
        #expect(policy.updateDue(now: 0) != nil)
        #expect(policy.updateDue(now: 5) == nil)
        #expect(policy.updateDue(now: 10.5) != nil)
        policy.keepaliveReceived(walEnd: LSN(100), replyRequested: true, idle: false)
        #expect(policy.updateDue(now: 11) != nil)
        #expect(policy.updateDue(now: 11.1) == nil)
    }

    @Test func durablePositionNeverMovesBackwardsWithinAnEpoch() {
        var policy = FeedbackPolicy(interval: 10)
        policy.spoolFlushed(upTo: LSN(700))
        policy.spoolFlushed(upTo: LSN(400))
        #expect(policy.durable == LSN(700))
    }

    @Test func aNewEpochRestartsFromItsSlot() {
        var policy = FeedbackPolicy(interval: 10)
        policy.spoolFlushed(upTo: LSN(7000))
        policy.keepaliveReceived(walEnd: LSN(8000), replyRequested: false, idle: true)
        _ = policy.updateDue(now: 0)
        policy.restart(at: LSN(100))  // a restored server: its LSNs are behind the old ones
        #expect(policy.updateDue(now: 0.1)?.flushed == LSN(100))
        #expect(policy.positionToRecord(now: 5) == nil, "the old stream's walEnd does not apply")
    }
}

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

    @Test func idleKeepaliveAdvancesTheSlot() {
        var policy = FeedbackPolicy(interval: 10)
        policy.spoolFlushed(upTo: LSN(300))
        _ = policy.updateDue(now: 0)
        policy.keepaliveReceived(walEnd: LSN(9000), replyRequested: false, idle: true)
        let update = policy.updateDue(now: 0.5)
        #expect(update?.flushed == LSN(9000))
        #expect(update?.written == LSN(9000))
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

    @Test func durablePositionNeverMovesBackwards() {
        var policy = FeedbackPolicy(interval: 10)
        policy.spoolFlushed(upTo: LSN(700))
        policy.spoolFlushed(upTo: LSN(400))
        #expect(policy.durable == LSN(700))
    }
}

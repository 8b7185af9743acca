import Synchronization
import Testing

@testable import Serve

struct ConnectionWatchTests {
    @Test func cancelledRegistrationsLeaveNothingBehindAndNeverRun() throws {
        let watch = ConnectionWatch()
        let runs = Atomic<Int>(0)
        for _ in 0..<50 {
            let token = try #require(watch.onClose { runs.add(1, ordering: .relaxed) })
            watch.cancelOnClose(token)
        }
        #expect(watch.waiterCount == 0)
        watch.peerClosed()
        #expect(runs.load(ordering: .relaxed) == 0)
    }

    @Test func peerClosingRunsEveryRegistrationOnce() {
        let watch = ConnectionWatch()
        let runs = Atomic<Int>(0)
        for _ in 0..<3 { _ = watch.onClose { runs.add(1, ordering: .relaxed) } }
        watch.peerClosed()
        watch.peerClosed()
        #expect(runs.load(ordering: .relaxed) == 3)
        #expect(watch.waiterCount == 0)
    }

    @Test func anAlreadyClosedConnectionRefusesRegistrations() {
        let watch = ConnectionWatch()
        watch.peerClosed()
        #expect(watch.isPeerClosed)
        #expect(watch.onClose {} == nil)
    }
}

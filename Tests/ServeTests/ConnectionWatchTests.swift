import Testing

@testable import Serve

struct ConnectionWatchTests {
    @Test func returnsTheOperationsValueAndLeavesNoWaiter() async throws {
        let watch = ConnectionWatch()
        for round in 0..<50 {
            #expect(try await watch.whileConnected { round } == round)
        }
        #expect(watch.waiterCount == 0)
    }

    @Test(.timeLimit(.minutes(1))) func peerClosingCancelsTheOperation() async throws {
        let watch = ConnectionWatch()
        let running = Task {
            try await watch.whileConnected {
                try await Task.sleep(for: .seconds(3600))
                return "finished"
            }
        }
        while watch.waiterCount == 0 { await Task.yield() }
        watch.peerClosed()
        await #expect(throws: CancellationError.self) { try await running.value }
        #expect(watch.waiterCount == 0)
    }

    @Test func anAlreadyClosedConnectionCancelsAtOnce() async {
        let watch = ConnectionWatch()
        watch.peerClosed()
        #expect(watch.isPeerClosed)
        await #expect(throws: CancellationError.self) {
            try await watch.whileConnected {
                try await Task.sleep(for: .seconds(3600))
                return 1
            }
        }
    }
}

import ConduitCore
import Testing

@testable import Serve

struct LiveNotifierTests {
    /// Waits until `count` waiters are registered (the notifier is driven from another task).
    static func waitForWaiters(_ notifier: LiveNotifier, count: Int) async {
        while notifier.waiterCount < count { await Task.yield() }
    }

    @Test(.timeLimit(.minutes(1))) func advanceWakesEveryWaiterOfTheHandle() async {
        let notifier = LiveNotifier()
        async let first = notifier.wait(for: "h", since: 0, timeout: .seconds(60))
        async let second = notifier.wait(for: "h", since: 0, timeout: .seconds(60))
        await Self.waitForWaiters(notifier, count: 2)
        notifier.receive(.shapeAdvanced(handle: "other"))
        #expect(notifier.waiterCount == 2)
        notifier.receive(.shapeAdvanced(handle: "h"))
        #expect(await first == .advanced)
        #expect(await second == .advanced)
        #expect(notifier.waiterCount == 0)
        #expect(notifier.generation(of: "h") == 1)
    }

    /// One batched message from a group commit wakes the waiters of every handle it names.
    @Test(.timeLimit(.minutes(1))) func aBatchOfAdvancesWakesEachHandle() async {
        let notifier = LiveNotifier()
        async let first = notifier.wait(for: "a", since: 0, timeout: .seconds(60))
        async let second = notifier.wait(for: "b", since: 0, timeout: .seconds(60))
        await Self.waitForWaiters(notifier, count: 2)
        notifier.receive(.shapesAdvanced(handles: ["a", "b", "c"]))
        #expect(await first == .advanced)
        #expect(await second == .advanced)
        #expect(notifier.generation(of: "c") == 1)
    }

    @Test(.timeLimit(.minutes(1))) func removalWakesWaitersAndSticks() async {
        let notifier = LiveNotifier()
        async let waiting = notifier.wait(for: "h", since: 0, timeout: .seconds(60))
        await Self.waitForWaiters(notifier, count: 1)
        notifier.receive(.shapeRemoved(handle: "h"))
        #expect(await waiting == .removed)
        #expect(notifier.isRemoved("h"))
        #expect(await notifier.wait(for: "h", since: 1, timeout: .seconds(60)) == .removed)
    }

    @Test(.timeLimit(.minutes(1))) func timeoutRemovesTheWaiter() async {
        let notifier = LiveNotifier()
        #expect(await notifier.wait(for: "h", since: 0, timeout: .milliseconds(10)) == .timedOut)
        #expect(notifier.waiterCount == 0)
    }

    @Test(.timeLimit(.minutes(1))) func cancellationRemovesTheWaiter() async {
        let notifier = LiveNotifier()
        let task = Task { await notifier.wait(for: "h", since: 0, timeout: .seconds(60)) }
        await Self.waitForWaiters(notifier, count: 1)
        task.cancel()
        #expect(await task.value == .cancelled)
        #expect(notifier.waiterCount == 0)
    }

    /// An advance between reading the log and registering the wait is not lost.
    /// The client going away ends the wait (cancelled) and leaves no registration on the
    /// connection nor waiter in the notifier.
    @Test(.timeLimit(.minutes(1))) func closingTheConnectionEndsTheWait() async {
        let notifier = LiveNotifier()
        let connection = ConnectionWatch()
        async let waiting = notifier.wait(for: "h", since: 0, timeout: .seconds(60), connection: connection)
        await Self.waitForWaiters(notifier, count: 1)
        while connection.waiterCount == 0 { await Task.yield() }
        connection.peerClosed()
        #expect(await waiting == .cancelled)
        #expect(notifier.waiterCount == 0)
        #expect(connection.waiterCount == 0)
    }

    /// A wait that ends otherwise drops its close registration (a keep-alive connection serves
    /// many live requests), and a wait on a connection already gone ends at once.
    @Test(.timeLimit(.minutes(1))) func waitsLeaveNoCloseRegistrationBehind() async {
        let notifier = LiveNotifier()
        let connection = ConnectionWatch()
        for _ in 0..<20 {
            #expect(await notifier.wait(for: "h", since: 0, timeout: .milliseconds(1), connection: connection) == .timedOut)
        }
        async let advanced = notifier.wait(for: "h", since: notifier.generation(of: "h"), timeout: .seconds(60), connection: connection)
        await Self.waitForWaiters(notifier, count: 1)
        notifier.receive(.shapeAdvanced(handle: "h"))
        #expect(await advanced == .advanced)
        #expect(connection.waiterCount == 0)
        connection.peerClosed()
        #expect(await notifier.wait(for: "h", since: notifier.generation(of: "h"), timeout: .seconds(60), connection: connection) == .cancelled)
        #expect(notifier.waiterCount == 0)
    }

    @Test(.timeLimit(.minutes(1))) func advanceBeforeTheWaitReturnsAtOnce() async {
        let notifier = LiveNotifier()
        let generation = notifier.generation(of: "h")
        notifier.receive(.shapeAdvanced(handle: "h"))
        #expect(await notifier.wait(for: "h", since: generation, timeout: .seconds(60)) == .advanced)
    }

    @Test func tracksRouterState() {
        let notifier = LiveNotifier()
        #expect(notifier.lastSeenLSN == nil)
        notifier.receive(.lastSeenLSN(LSN(500)))
        notifier.receive(.lastSeenLSN(LSN(400)))
        #expect(notifier.lastSeenLSN == LSN(500))
        #expect(!notifier.isRouterConnected)
        notifier.routerConnectionChanged(true)
        #expect(notifier.isRouterConnected)
    }
}

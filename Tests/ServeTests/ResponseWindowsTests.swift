import Testing

@testable import Serve

/// ``ResponseWindows``: double windows while the process's budget lasts, the configured window
/// after, and the budget back whenever a grant goes.
struct ResponseWindowsTests {
    @Test func grantsAreDoubleWindowsUntilTheBudgetIsHeld() {
        let windows = ResponseWindows(base: 1000, budget: 2500)
        var held = [windows.grant(), windows.grant()]
        #expect(held.map(\.bytes) == [2000, 2000])
        #expect(windows.unused == 500)
        let single = windows.grant()
        #expect(single.bytes == 1000, "less than a window of budget left: the configured window")
        #expect(windows.unused == 500)
        held.removeFirst()
        #expect(windows.unused == 1500)
        #expect(windows.grant().bytes == 2000)
        #expect(windows.unused == 1500, "a grant dropped at once gives its bytes back at once")
        held.removeAll()
        withExtendedLifetime(single) {}
        #expect(windows.unused == 2500)
    }

    @Test func theDefaultBudgetIsTwoHundredFiftySixWindows() {
        let windows = ResponseWindows(base: 256 << 10)
        #expect(windows.budget == 64 << 20)
        #expect(windows.grant().bytes == 512 << 10)
    }

    @Test func grantsFromManyTasksNeverOverdrawTheBudget() async {
        let windows = ResponseWindows(base: 10, budget: 1000)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    for _ in 0..<500 {
                        let grant = windows.grant()
                        #expect(windows.unused >= 0)
                        #expect(grant.bytes == 10 || grant.bytes == 20)
                    }
                }
            }
        }
        #expect(windows.unused == 1000)
    }
}

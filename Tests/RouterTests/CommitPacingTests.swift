import Testing

@testable import Router

/// ``CommitPacing``: costly commits wait while WAL keeps arriving; cheap ones never wait.
struct CommitPacingTests {
    /// 1 ms per shape, as a commit of 1,000 shapes taking a second.
    static func costly() -> CommitPacing {
        var pacing = CommitPacing()
        pacing.committed(shapes: 1_000, seconds: 1)
        return pacing
    }

    /// `shouldCommit`, outside `#expect` (which cannot call a mutating method).
    static func commits(_ pacing: inout CommitPacing, now: Double, dirtyShapes: Int, arrived: Bool) -> Bool {
        pacing.shouldCommit(now: now, dirtyShapes: dirtyShapes, arrived: arrived)
    }

    @Test func withoutHistoryEveryCommitIsImmediate() {
        var pacing = CommitPacing()
        #expect(Self.commits(&pacing, now: 10, dirtyShapes: 10_000, arrived: true))
        #expect(pacing.secondsUntilDue(now: 10, dirtyShapes: 10_000) == nil)
    }

    @Test func aFewShapesAreNeverDeferred() {
        var pacing = Self.costly()
        // 4 shapes would take 4 ms: below the threshold.
        #expect(Self.commits(&pacing, now: 10, dirtyShapes: 4, arrived: true))
        #expect(pacing.secondsUntilDue(now: 10, dirtyShapes: 4) == nil)
    }

    @Test func fewShapesAreNeverDeferredHoweverSlowTheirFlushes() {
        var pacing = CommitPacing()
        pacing.committed(shapes: 1_000, seconds: 10)  // 10 ms per shape
        // 63 shapes would take 0.63 s by that estimate; live commits still go at once.
        #expect(Self.commits(&pacing, now: 10, dirtyShapes: 63, arrived: true))
        #expect(!Self.commits(&pacing, now: 10, dirtyShapes: 64, arrived: true))
    }

    @Test func aSlowFlushOfAFewShapesDoesNotFeedTheEstimate() {
        var pacing = CommitPacing()
        // One shape's commit that took 0.5 s (syncfs wrote back the rest of the file system).
        pacing.committed(shapes: 1, seconds: 0.5)
        #expect(pacing.secondsPerShape == 0)
        #expect(Self.commits(&pacing, now: 10, dirtyShapes: 1_000, arrived: true))
    }

    @Test func aCostlyCommitWaitsWhileFramesArriveThenForAQuietSpell() {
        var pacing = Self.costly()
        // 1,000 shapes: about 1 s to commit, so it waits for 50 ms without frames.
        #expect(!Self.commits(&pacing, now: 10, dirtyShapes: 1_000, arrived: true))
        #expect(abs((pacing.secondsUntilDue(now: 10, dirtyShapes: 1_000) ?? 0) - 0.05) < 1e-9)
        #expect(!Self.commits(&pacing, now: 10.04, dirtyShapes: 1_000, arrived: true))
        #expect(!Self.commits(&pacing, now: 10.08, dirtyShapes: 1_000, arrived: false))
        #expect(Self.commits(&pacing, now: 10.091, dirtyShapes: 1_000, arrived: false))
        pacing.committed(shapes: 1_000, seconds: 1)
        #expect(pacing.secondsUntilDue(now: 11, dirtyShapes: 1_000) == nil)
    }

    @Test func aDeferralNeverOutlastsTheCommitsOwnCost() {
        var pacing = Self.costly()
        // 100 shapes: 0.1 s to commit, so deferred at most 0.1 s however often frames arrive.
        var now = 10.0
        #expect(!Self.commits(&pacing, now: now, dirtyShapes: 100, arrived: true))
        while now < 10.09 {
            now += 0.01
            #expect(!Self.commits(&pacing, now: now, dirtyShapes: 100, arrived: true))
        }
        #expect(Self.commits(&pacing, now: 10.1001, dirtyShapes: 100, arrived: true))
    }

    @Test func theCostPerShapeFollowsRecentCommits() {
        var pacing = Self.costly()
        pacing.committed(shapes: 1_000, seconds: 0.002)
        #expect(abs(pacing.secondsPerShape - 0.000501) < 1e-9)
        pacing.committed(shapes: 0, seconds: 5)
        #expect(abs(pacing.secondsPerShape - 0.000501) < 1e-9)
    }
}

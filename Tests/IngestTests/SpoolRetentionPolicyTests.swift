import ConduitCore
import Spool
import Testing

@testable import Ingest

struct SpoolRetentionPolicyTests {
    static let identity = SpoolStreamIdentity(systemIdentifier: 1, timeline: 1, database: "d", slot: "s")

    /// Segments of `size` bytes, each ending where the next begins; `ends[i]` is segment i's end.
    static func segments(
        keys: [UInt64], epochs: [UInt32]? = nil, starts: [UInt64]? = nil, modified: [Double]? = nil, size: UInt64 = 100
    ) -> [SpoolSegmentInfo] {
        keys.enumerated().map { index, key in
            let number = epochs?[index] ?? 1
            return SpoolSegmentInfo(
                key: LSN(key), previousEnd: index == 0 ? nil : LSN(key), previousSegment: index == 0 ? nil : LSN(keys[index - 1]),
                epoch: SpoolEpoch(number: number, start: LSN(starts?[index] ?? keys[0]), identity: identity),
                startsEpoch: index > 0 && number != (epochs?[index - 1] ?? 1), bytes: size, modified: modified?[index] ?? 0)
        }
    }

    @Test func removesOnlyConsumedSegmentsOldestFirstAndNeverTheCurrentOne() {
        let policy = SpoolRetentionPolicy(maxBytes: 0, maxAge: 1e9)
        let list = Self.segments(keys: [1000, 2000, 3000, 4000])
        #expect(policy.segmentsToRemove(list, consumed: nil, now: 0) == [], "no router report: keep everything")
        #expect(policy.segmentsToRemove(list, consumed: LSN(1999), now: 0) == [])
        #expect(policy.segmentsToRemove(list, consumed: LSN(2000), now: 0) == [LSN(1000)])
        #expect(policy.segmentsToRemove(list, consumed: LSN(3500), now: 0) == [LSN(1000), LSN(2000)])
        #expect(policy.segmentsToRemove(list, consumed: LSN(99_999), now: 0) == [LSN(1000), LSN(2000), LSN(3000)])
    }

    @Test func sizeAndAgeDecideHowMuchOfTheConsumedPartGoes() {
        let list = Self.segments(keys: [1000, 2000, 3000, 4000], modified: [10, 20, 30, 40])
        let bySize = SpoolRetentionPolicy(maxBytes: 250, maxAge: 1e9)
        #expect(bySize.segmentsToRemove(list, consumed: LSN(99_999), now: 50) == [LSN(1000), LSN(2000)])
        let byAge = SpoolRetentionPolicy(maxBytes: 1 << 40, maxAge: 25)
        #expect(byAge.segmentsToRemove(list, consumed: LSN(99_999), now: 50) == [LSN(1000), LSN(2000)])
        let neither = SpoolRetentionPolicy(maxBytes: 1 << 40, maxAge: 1e9)
        #expect(neither.segmentsToRemove(list, consumed: LSN(99_999), now: 50) == [])
    }

    @Test func aNewerEpochBehindRouterIsConsumedAsAWhole() {
        // Epoch 1: 1000..3000; a reset to epoch 2 starting at 5000 (forward).
        let list = Self.segments(keys: [1000, 2000, 5000, 6000], epochs: [1, 1, 2, 2], starts: [1000, 1000, 5000, 5000])
        let policy = SpoolRetentionPolicy(maxBytes: 0, maxAge: 1e9)
        #expect(policy.segmentsToRemove(list, consumed: LSN(2000), now: 0) == [LSN(1000)])
        #expect(policy.segmentsToRemove(list, consumed: LSN(5000), now: 0) == [LSN(1000), LSN(2000)])
        #expect(policy.segmentsToRemove(list, consumed: LSN(6000), now: 0) == [LSN(1000), LSN(2000), LSN(5000)])
    }

    @Test func afterABackwardResetOnlyAnUnambiguousReportReachesTheNewEpoch() {
        // Epoch 1 spans 1000..3000; a restored server restarts at 500 (keys 3001, 3002 keep the order).
        var list = Self.segments(keys: [1000, 2000, 3001, 3002], epochs: [1, 1, 2, 2], starts: [1000, 1000, 500, 500])
        list[2].previousEnd = LSN(3000)
        list[3].previousEnd = LSN(2500)
        let policy = SpoolRetentionPolicy(maxBytes: 0, maxAge: 1e9)
        // 2500 lies in both epochs' ranges: router may still be in epoch 1, so only what epoch 1 allows.
        #expect(policy.segmentsToRemove(list, consumed: LSN(2500), now: 0) == [LSN(1000)])
        // 700 exists only in epoch 2: router passed the reset.
        #expect(policy.segmentsToRemove(list, consumed: LSN(700), now: 0) == [LSN(1000), LSN(2000)])
        // 3500 is past epoch 1's end: epoch 2, and past segment 3001's end.
        #expect(policy.segmentsToRemove(list, consumed: LSN(3500), now: 0) == [LSN(1000), LSN(2000), LSN(3001)])
    }
}

import Testing

@testable import Router

struct SnapshotVisibilityTests {
    @Test func parsesPgSnapshotText() {
        let snapshot = SnapshotVisibility(text: "778:781:778,780")
        #expect(snapshot == SnapshotVisibility(xmin: 778, xmax: 781, xip: [778, 780]))
        #expect(SnapshotVisibility(text: "5:5:") == SnapshotVisibility(xmin: 5, xmax: 5, xip: []))
        #expect(SnapshotVisibility(text: "garbage") == nil)
        #expect(SnapshotVisibility(text: "1:2:x") == nil)
    }

    @Test func visibilityFollowsXminXmaxAndXip() {
        let snapshot = SnapshotVisibility(xmin: 778, xmax: 781, xip: [778, 780])
        #expect(snapshot.isVisible(xid: 700))
        #expect(!snapshot.isVisible(xid: 778))
        #expect(snapshot.isVisible(xid: 779))
        #expect(!snapshot.isVisible(xid: 780))
        #expect(!snapshot.isVisible(xid: 781))
        #expect(snapshot.startedAfter(xid: 781))
        #expect(!snapshot.startedAfter(xid: 780))
    }

    @Test func widensXidsAcrossAnEpoch() {
        let xmax: UInt64 = (1 << 32) + 10  // epoch 1, xid 10
        let snapshot = SnapshotVisibility(xmin: xmax - 20, xmax: xmax, xip: [])
        #expect(snapshot.fullXID(5) == (1 << 32) + 5)
        #expect(snapshot.fullXID(UInt32.max - 3) == (1 << 32) - 4)  // just before the wrap
        #expect(snapshot.fullXID(15) == (1 << 32) + 15)
        #expect(snapshot.isVisible(xid: UInt32.max - 20))
        #expect(!snapshot.isVisible(xid: 12))
    }
}

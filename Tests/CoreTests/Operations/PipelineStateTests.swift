import ConduitCore
import Testing

/// ``PipelineStatus``'s classification, fed each state the status files can describe.
struct PipelineStateTests {
    static let now = 1_000_000.0
    static let durable = SpoolDurablePosition(segment: LSN(0x100), offset: 5000, commitEndLSN: LSN(9000))

    static func ingest(_ phase: IngestStatus.Phase = .streaming, durable: SpoolDurablePosition? = durable) -> IngestStatus {
        IngestStatus(
            processID: 1, writtenAt: now, phase: phase, slot: "conduit_slot_default", publication: "conduit_pub_default",
            confirmedLSN: durable?.commitEndLSN, serverWALEnd: durable?.commitEndLSN, lagBytes: 0, lagSeconds: 0, durable: durable,
            spool: .init(segments: 1, bytes: 5000, firstSegment: LSN(0x100), lastSegment: LSN(0x100)), routerConsumed: nil)
    }

    static func router(
        _ phase: RouterStatus.Phase = .routing, applied: SpoolPosition? = durable.position, commitEnd: LSN = LSN(9000),
        caughtUpAt: Double? = now
    ) -> RouterStatus {
        RouterStatus(
            processID: 2, writtenAt: now, phase: phase, durable: durable, applied: applied, appliedCommitEnd: commitEnd,
            lastCaughtUpAt: caughtUpAt, shapes: 3, ingestConnected: true, servePeers: [3, 4])
    }

    static func state(ingest: IngestStatus?, ingestRunning: Bool = true, router: RouterStatus?, routerRunning: Bool = true)
        -> PipelineStatus
    {
        PipelineStatus(
            ingest: ingest, ingestRunning: ingestRunning, router: router, routerRunning: routerRunning, checkpoint: nil,
            shapes: ShapesSummary(count: 0, totalBytes: 0, largest: nil, oldest: nil), now: now)
    }

    @Test func caughtUp() {
        let status = Self.state(ingest: Self.ingest(), router: Self.router())
        #expect(status.state == .caughtUp)
        #expect(status.routerLagBytes == 0 && status.routerLagSeconds == 0)
    }

    @Test func behindForLessThanTheGraceIsStillCaughtUp() {
        let router = Self.router(applied: SpoolPosition(segment: LSN(0x100), offset: 4000), commitEnd: LSN(8000), caughtUpAt: Self.now - 1)
        let status = Self.state(ingest: Self.ingest(), router: router)
        #expect(status.state == .caughtUp)
        #expect(status.routerLagBytes == 1000)
    }

    @Test func lagging() {
        let router = Self.router(applied: SpoolPosition(segment: LSN(0x100), offset: 4000), commitEnd: LSN(8000), caughtUpAt: Self.now - 10)
        let status = Self.state(ingest: Self.ingest(), router: router)
        #expect(status.state == .lagging)
        #expect(status.routerLagBytes == 1000 && status.routerLagSeconds == 10)
    }

    @Test func routerDownWinsOverEverythingElse() {
        #expect(Self.state(ingest: nil, router: nil, routerRunning: false).state == .routerDown)
        #expect(Self.state(ingest: Self.ingest(), router: Self.router(), routerRunning: false).state == .routerDown)
    }

    @Test func ingestDown() {
        #expect(Self.state(ingest: Self.ingest(.stopped), ingestRunning: false, router: Self.router()).state == .ingestDown)
    }

    @Test func starting() {
        #expect(Self.state(ingest: nil, router: Self.router()).state == .starting)
        #expect(Self.state(ingest: Self.ingest(.starting), router: Self.router()).state == .starting)
        #expect(Self.state(ingest: Self.ingest(), router: Self.router(.starting)).state == .starting)
        var router = Self.router(applied: nil, commitEnd: .zero)
        router.durable = nil
        #expect(Self.state(ingest: Self.ingest(durable: nil), router: router).state == .starting, "nothing durable yet")
    }

    @Test func textNamesEveryPart() {
        var status = Self.state(ingest: Self.ingest(), router: Self.router())
        status.slot = SlotStatus(
            name: "conduit_slot_default", exists: true, active: true, confirmedFlushLSN: LSN(9000), restartLSN: LSN(8000),
            retainedWALBytes: 2048, walStatus: "reserved", error: nil)
        let text = status.text
        for part in [
            "state", "caught-up", "slot", "retains 2.0 KiB", "spool", "router", "2 serve connected", "checkpoint", "router lag", "shapes",
        ] {
            #expect(text.contains(part), "missing \(part) in\n\(text)")
        }
    }
}

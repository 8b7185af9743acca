import ConduitCore
import Foundation
import Hummingbird
import Testing

@testable import Serve

/// SSE and caught-up offsets.
struct ShapeRoutesLiveTests {
    static let rows = ["{\"key\":\"1\"}"]

    static func event(_ json: String) -> String { "data: " + json + "\n\n" }

    @Test func sseSendsExistingEntriesAndCloses() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: Self.rows)
        let writer = try fixture.changeWriter()
        try writer.append(offset: LogOffset(tx: 300, op: 0), json: Array("{\"c\":1}".utf8))
        try writer.append(offset: LogOffset(tx: 300, op: 2), json: Array("{\"c\":2}".utf8))
        try writer.commit(appliedThroughLSN: LSN(300))
        let response = await fixture.get("table=items&offset=0_0&handle=h1&live=true&live_sse=true")
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/event-stream")
        #expect(response.headers[.connection] == "keep-alive")
        #expect(response.headers[.cacheControl] == "public, max-age=59")
        #expect(response.headers[.electricHandle] == "h1")
        #expect(response.headers[.electricCursor] != nil)
        let expected = Self.event("{\"c\":1}") + Self.event("{\"c\":2}") + Self.event(ShapeRoutesTests.upToDate(300))
        #expect(try await response.bodyText() == expected)
    }

    @Test(.timeLimit(.minutes(1))) func ssePushesNewBatchesUntilTheStreamTimesOut() async throws {
        let fixture = RoutesFixture(sseTimeout: .seconds(2))
        try fixture.makeShape(rows: Self.rows)
        let response = await fixture.get("table=items&offset=0_0&handle=h1&live=true&experimental_live_sse=true")
        #expect(response.headers[.electricOffset] == "0_0")
        let body = Task { try await response.bodyText() }
        while fixture.notifier.waiterCount == 0 { await Task.yield() }
        let writer = try fixture.changeWriter()
        try writer.append(offset: LogOffset(tx: 400, op: 0), json: Array("{\"c\":3}".utf8))
        try writer.commit(appliedThroughLSN: LSN(400))
        fixture.notifier.receive(.shapeAdvanced(handle: "h1"))
        let text = try await body.value
        #expect(text.hasPrefix(Self.event("{\"c\":3}") + Self.event(ShapeRoutesTests.upToDate(400))))
    }

    /// The TypeScript client resumes SSE from `<global_last_seen_lsn>_0`, which may lie past the
    /// shape's own last entry: that is caught up, not out of bounds.
    @Test func offsetUpToTheProcessedPositionIsCaughtUp() async throws {
        let fixture = RoutesFixture(longPollTimeout: .milliseconds(40))
        try fixture.makeShape(rows: Self.rows)
        fixture.notifier.receive(.lastSeenLSN(LSN(1000)))
        let response = await fixture.get("table=items&offset=1000_0&handle=h1")
        #expect(response.status == .ok)
        #expect(response.headers[.electricOffset] == "1000_0")
        #expect(response.headers[.electricUpToDate] == "")
        #expect(try await response.bodyText() == "[" + ShapeRoutesTests.upToDate(1000) + "]")
        let beyond = await fixture.get("table=items&offset=1001_0&handle=h1")
        #expect(beyond.status == .badRequest)
    }

    @Test(.timeLimit(.minutes(1))) func liveRequestAtACaughtUpOffsetWaitsForNewEntries() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: Self.rows)
        fixture.notifier.receive(.lastSeenLSN(LSN(1000)))
        let pending = Task { await fixture.get("table=items&offset=1000_0&handle=h1&live=true") }
        while fixture.notifier.waiterCount == 0 { await Task.yield() }
        let writer = try fixture.changeWriter()
        try writer.append(offset: LogOffset(tx: 1200, op: 0), json: Array("{\"c\":4}".utf8))
        try writer.commit(appliedThroughLSN: LSN(1200))
        fixture.notifier.receive(.shapeAdvanced(handle: "h1"))
        let response = await pending.value
        #expect(response.headers[.electricOffset] == "1200_0")
        #expect(try await response.bodyText() == "[{\"c\":4}," + ShapeRoutesTests.upToDate(1200) + "]")
    }

    /// A chunk larger than one read window streams in several writes but is byte-identical.
    /// (Three 400 kB rows reach the fixture's 1 MiB threshold, so they make chunk 0 by themselves.)
    @Test func largeChunkStreamsCompletely() async throws {
        let fixture = RoutesFixture()
        let rows = (0..<3).map { "{\"key\":\"\($0)\",\"pad\":\"" + String(repeating: "x", count: 400_000) + "\"}" }
        try fixture.makeShape(rows: rows)
        let response = await fixture.get("table=items&offset=-1")
        let body = Array(try await response.bodyText().utf8)
        let expected = Array(("[" + rows.joined(separator: ",") + "]").utf8)
        let firstDifference = zip(body, expected).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset
        // Compared by length and first differing byte: printing 1.8 MB bodies would drown the log.
        #expect(body.count == expected.count)
        #expect(firstDifference == nil)
    }
}

struct ShapeRoutesRemovalTests {
    /// A shape folder deleted by router (without a notification reaching this process) is a 409.
    @Test func deletedFolderGives409() async throws {
        let fixture = RoutesFixture(resolver: { _ in .handle("h2") })
        try fixture.makeShape(rows: ["{}"])
        let writer = try fixture.changeWriter()
        try writer.append(offset: LogOffset(tx: 10, op: 0), json: Array("{}".utf8))
        try writer.commit(appliedThroughLSN: LSN(10))
        #expect(await fixture.get("table=items&offset=0_0&handle=h1").status == .ok)
        try FileManager.default.removeItem(atPath: fixture.layout.shapeDirectory("h1"))
        let response = await fixture.get("table=items&offset=0_0&handle=h1")
        #expect(response.status == .conflict)
        #expect(response.headers[.electricHandle] == "h2")
    }
}

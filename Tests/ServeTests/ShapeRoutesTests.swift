import ConduitCore
import Hummingbird
import Testing

@testable import Serve

/// The shape endpoint driven in-process against shape logs written by the real writers.
struct ShapeRoutesTests {
    static let rows = ["{\"key\":\"1\"}", "{\"key\":\"2\"}"]
    static func upToDate(_ lsn: Int) -> String {
        "{\"headers\":{\"control\":\"up-to-date\",\"global_last_seen_lsn\":\"\(lsn)\"}}"
    }

    struct Unreachable: Error {}

    @Test func initialRequestServesSnapshotChunkZero() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: Self.rows)
        let response = await fixture.get("table=items&offset=-1")
        #expect(response.status == .ok)
        #expect(response.headers[.electricHandle] == "h1")
        #expect(response.headers[.electricOffset] == "0_0")
        #expect(response.headers[.electricSchema] == RoutesFixture.schema)
        #expect(response.headers[.eTag] == "\"h1:-1:0_0\"")
        #expect(response.headers[.cacheControl] == "public, max-age=604800, s-maxage=3600, stale-while-revalidate=2629746")
        #expect(response.headers[.electricHasData] == "true")
        #expect(response.headers[.electricUpToDate] == nil)
        #expect(response.headers[.electricCursor] == nil)
        #expect(try await response.bodyText() == "[" + (Self.rows + [RoutesFixture.snapshotEnd]).joined(separator: ",") + "]")
    }

    @Test func followUpIsUpToDate() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: Self.rows)
        fixture.notifier.receive(.lastSeenLSN(LSN(777)))
        let response = await fixture.get("table=items&offset=0_0&handle=h1")
        #expect(response.status == .ok)
        #expect(response.headers[.electricOffset] == "0_0")
        #expect(response.headers[.electricUpToDate] == "")
        #expect(response.headers[.cacheControl] == "public, max-age=60, stale-while-revalidate=300")
        #expect(try await response.bodyText() == "[" + Self.upToDate(777) + "]")
    }

    @Test func changesAreServedWithUpToDate() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: Self.rows)
        let writer = try fixture.changeWriter()
        try writer.append(offset: LogOffset(tx: 900, op: 0), json: Array("{\"c\":1}".utf8))
        try writer.append(offset: LogOffset(tx: 900, op: 2), json: Array("{\"c\":2}".utf8))
        try writer.commit(appliedThroughLSN: LSN(900))
        let response = await fixture.get("table=items&offset=0_0&handle=h1")
        #expect(response.headers[.electricOffset] == "900_2")
        #expect(response.headers[.eTag] == "\"h1:0_0:900_2\"")
        #expect(try await response.bodyText() == "[{\"c\":1},{\"c\":2}," + Self.upToDate(900) + "]")
    }

    @Test func matchingEtagGives304WithoutSchema() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: Self.rows)
        let response = await fixture.get("table=items&offset=-1", ifNoneMatch: ["\"h1:-1:0_0\""])
        #expect(response.status == .notModified)
        #expect(response.headers[.electricHandle] == "h1")
        #expect(response.headers[.electricOffset] == "0_0")
        #expect(response.headers[.electricSchema] == nil)
        #expect(try await response.bodyText() == "")
    }

    @Test func unknownHandleGets409WithTheCurrentHandle() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: Self.rows)
        let response = await fixture.get("table=items&offset=0_0&handle=nonexistent")
        #expect(response.status == .conflict)
        #expect(response.headers[.electricHandle] == "h1")
        #expect(response.headers[.cacheControl] == "public, max-age=60, must-revalidate")
        #expect(try await response.bodyText() == "[{\"headers\":{\"control\":\"must-refetch\"}}]")
    }

    @Test func mismatchingDefinitionGets409() async throws {
        let fixture = RoutesFixture(resolver: { _ in .handle("h2") })
        try fixture.makeShape(rows: Self.rows)
        let response = await fixture.get("table=other&offset=0_0&handle=h1")
        #expect(response.status == .conflict)
        #expect(response.headers[.electricHandle] == "h2")
    }

    @Test func routerConfirmingTheHandleServesIt() async throws {
        let fixture = RoutesFixture(resolver: { _ in .handle("h1") })
        try fixture.makeShape(rows: Self.rows)
        let response = await fixture.get("table=items&offset=0_0&handle=h1&columns=id")
        #expect(response.status == .ok)
        #expect(response.headers[.electricHandle] == "h1")
    }

    @Test func routerUnavailableGives503() async throws {
        let fixture = RoutesFixture(resolver: { _ in throw Unreachable() })
        let response = await fixture.get("table=items&offset=-1")
        #expect(response.status == .serviceUnavailable)
        #expect(response.headers[.retryAfter] == "1")
        #expect(response.headers[.cacheControl] == "no-store")
        #expect(response.headers[.surrogateControl] == "no-store")
        #expect(
            try await response.bodyText()
                == "{\"message\":\"Cannot connect to the database to verify the shape. Please try again later.\"}"
        )
    }

    @Test func routerRejectionBecomesAValidationError() async throws {
        let message =
            "Table \"public\".\"nope\" does not exist. If the table name contains capitals or special characters you must quote it."
        let fixture = RoutesFixture(resolver: { _ in .rejected(.invalid(field: "table", message: message)) })
        let response = await fixture.get("table=nope&offset=-1")
        #expect(response.status == .badRequest)
        #expect(
            try await response.bodyText() == "{\"message\":\"Invalid request\",\"errors\":{\"table\":[" + JSONText.string(message) + "]}}")
    }

    @Test func invalidParametersGive400WithNoStore() async throws {
        let fixture = RoutesFixture()
        let response = await fixture.get("offset=-1")
        #expect(response.status == .badRequest)
        #expect(response.headers[.cacheControl] == "no-store")
        #expect(response.headers[.surrogateControl] == "no-store")
        #expect(try await response.bodyText() == "{\"message\":\"Invalid request\",\"errors\":{\"table\":[\"can't be blank\"]}}")
    }

    @Test func offsetNowReturnsTheLatestOffset() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: Self.rows)
        let fresh = await fixture.get("table=items&offset=now")
        #expect(fresh.headers[.electricOffset] == "0_inf")
        #expect(fresh.headers[.electricHasData] == "false")
        #expect(fresh.headers[.electricUpToDate] == "")
        #expect(fresh.headers[.electricSchema] == RoutesFixture.schema)
        #expect(fresh.headers[.eTag]?.split(separator: ":").count == 4)
        let writer = try fixture.changeWriter()
        try writer.append(offset: LogOffset(tx: 50, op: 0), json: Array("{}".utf8))
        try writer.commit(appliedThroughLSN: LSN(50))
        let later = await fixture.get("table=items&offset=now")
        #expect(later.headers[.electricOffset] == "50_0")
        #expect(try await later.bodyText() == "[" + Self.upToDate(50) + "]")
    }

    @Test(.timeLimit(.minutes(1))) func liveRequestWakesOnNotification() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: Self.rows)
        let pending = Task { await fixture.get("table=items&offset=0_inf&handle=h1&live=true&cursor=5") }
        while fixture.notifier.waiterCount == 0 { await Task.yield() }
        let writer = try fixture.changeWriter()
        try writer.append(offset: LogOffset(tx: 1234, op: 0), json: Array("{\"c\":1}".utf8))
        try writer.commit(appliedThroughLSN: LSN(1234))
        fixture.notifier.receive(.lastSeenLSN(LSN(2000)))
        fixture.notifier.receive(.shapeAdvanced(handle: "h1"))
        let response = await pending.value
        #expect(response.status == .ok)
        #expect(response.headers[.electricOffset] == "1234_0")
        #expect(response.headers[.electricCursor] != nil)
        #expect(response.headers[.electricSchema] == nil)
        #expect(response.headers[.cacheControl] == "public, max-age=5, stale-while-revalidate=5")
        // A live response reports its own end as the global position (protocol.md §4.6).
        #expect(try await response.bodyText() == "[{\"c\":1}," + Self.upToDate(1234) + "]")
    }

    @Test(.timeLimit(.minutes(1))) func liveRequestTimesOutWithUpToDate() async throws {
        let fixture = RoutesFixture(longPollTimeout: .milliseconds(50))
        try fixture.makeShape(rows: Self.rows)
        fixture.notifier.receive(.lastSeenLSN(LSN(42)))
        let response = await fixture.get("table=items&offset=0_0&handle=h1&live=true")
        #expect(response.status == .ok)
        #expect(response.headers[.electricHasData] == "false")
        #expect(response.headers[.electricUpToDate] == "")
        #expect(response.headers[.electricOffset] == "0_0")
        #expect(response.headers[.eTag]?.split(separator: ":").count == 4)
        #expect(try await response.bodyText() == "[" + Self.upToDate(42) + "]")
    }

    @Test(.timeLimit(.minutes(1))) func shapeRemovedWhileWaitingGives409() async throws {
        // A long-poll far longer than any scheduling delay on a loaded machine: the answer must
        // come from the removal, never from the timeout.
        let fixture = RoutesFixture(longPollTimeout: .seconds(3600), resolver: { _ in .handle("h2") })
        try fixture.makeShape(rows: Self.rows)
        let pending = Task { await fixture.get("table=items&offset=0_0&handle=h1&live=true") }
        while fixture.notifier.waiterCount == 0 { await Task.yield() }
        fixture.notifier.receive(.shapeRemoved(handle: "h1"))
        let response = await pending.value
        #expect(response.status == .conflict)
        #expect(response.headers[.electricHandle] == "h2")
        let again = await fixture.get("table=items&offset=0_0&handle=h1")
        #expect(again.status == .conflict)
    }

    @Test(.timeLimit(.minutes(1))) func offsetBeyondTheLogIsOutOfBounds() async throws {
        let fixture = RoutesFixture(longPollTimeout: .milliseconds(40))
        try fixture.makeShape(rows: Self.rows)
        let response = await fixture.get("table=items&offset=99999_0&handle=h1")
        #expect(response.status == .badRequest)
        #expect(
            try await response.bodyText() == "{\"message\":\"Invalid request\",\"errors\":{\"offset\":[\"out of bounds for this shape\"]}}")
    }

    @Test(.timeLimit(.minutes(1))) func unpublishedSnapshotTimesOutWith503() async throws {
        let fixture = RoutesFixture(snapshotTimeout: .milliseconds(30))
        try fixture.makeShape(rows: [], finished: false)
        let response = await fixture.get("table=items&offset=-1")
        #expect(response.status == .serviceUnavailable)
        #expect(response.headers[.retryAfter] == "5")
    }

    @Test(.timeLimit(.minutes(1))) func initialRequestWaitsForChunkZero() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: [], finished: false)
        let pending = Task { await fixture.get("table=items&offset=-1") }
        while fixture.notifier.waiterCount == 0 { await Task.yield() }
        let writer = try SnapshotWriter(directory: fixture.layout.shapeDirectory("h1"), chunkThresholdBytes: 1 << 20)
        try writer.append(row: Array(Self.rows[0].utf8))
        try writer.finish(snapshotEnd: Array(RoutesFixture.snapshotEnd.utf8))
        fixture.notifier.receive(.shapeAdvanced(handle: "h1"))
        let response = await pending.value
        #expect(response.status == .ok)
        #expect(try await response.bodyText() == "[" + Self.rows[0] + "," + RoutesFixture.snapshotEnd + "]")
    }
}

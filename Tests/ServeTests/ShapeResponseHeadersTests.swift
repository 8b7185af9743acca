import Shared
import Testing

@testable import Serve

struct ShapeResponseHeadersTests {
    typealias Headers = ShapeResponseHeaders

    @Test(arguments: [
        (Headers.CacheKind.nonGetMethod, "no-cache"),
        (.conflict(hasNewHandle: true), "public, max-age=60, must-revalidate"),
        (.conflict(hasNewHandle: false), "public, max-age=1, must-revalidate"),
        (.error, "no-store"),
        (.initial, "public, max-age=604800, s-maxage=3600, stale-while-revalidate=2629746"),
        (.liveSSE, "public, max-age=59"),
        (.live, "public, max-age=5, stale-while-revalidate=5"),
        (.nonLive, "public, max-age=60, stale-while-revalidate=300"),
    ])
    func cacheControlMatrix(kind: Headers.CacheKind, value: String) {
        #expect(Headers.cacheControl(kind) == value)
    }

    @Test func successKindFollowsTheMatrixOrder() throws {
        func kind(_ query: String) throws -> Headers.CacheKind {
            Headers.successKind(for: try ShapeRequest.parse(QueryString.parse(query)))
        }
        #expect(try kind("table=t&offset=-1") == .initial)
        #expect(try kind("table=t&offset=now") == .nonLive)
        #expect(try kind("table=t&offset=0_0&handle=h") == .nonLive)
        #expect(try kind("table=t&offset=0_0&handle=h&live=true") == .live)
        #expect(try kind("table=t&offset=0_0&handle=h&live=true&live_sse=true") == .liveSSE)
    }

    @Test func etagFormats() {
        #expect(Headers.etag(handle: "3833821-1721812114261", requestOffset: "-1", responseOffset: LogOffset(tx: 0, op: 0)) == "\"3833821-1721812114261:-1:0_0\"")
        #expect(Headers.etag(handle: "h", requestOffset: "26800584_4", responseOffset: LogOffset(tx: 26_800_590, op: 0)) == "\"h:26800584_4:26800590_0\"")
        #expect(Headers.etag(handle: "h", requestOffset: "now", responseOffset: .snapshotEnd, monotonic: 42) == "\"h:now:0_inf:42\"")
    }

    @Test func ifNoneMatchParsing() {
        let etag = "\"h:-1:0_0\""
        #expect(Headers.ifNoneMatch(["\"h:-1:0_0\""], matches: etag))
        #expect(Headers.ifNoneMatch(["h:-1:0_0"], matches: etag))
        #expect(Headers.ifNoneMatch(["\"other\", \"h:-1:0_0\""], matches: etag))
        #expect(Headers.ifNoneMatch(["\"other\"", " \"h:-1:0_0\" "], matches: etag))
        #expect(!Headers.ifNoneMatch(["W/\"h:-1:0_0\""], matches: etag))
        #expect(!Headers.ifNoneMatch(["\"h:-1:0_1\""], matches: etag))
        #expect(!Headers.ifNoneMatch([], matches: etag))
    }

    /// 2024-10-09T00:00:00Z + 95 s with a 20 s window ends the window at 100.
    @Test func cursorIsTheEndOfTheCurrentWindow() {
        let now = Headers.cursorEpoch + 95
        #expect(Headers.nextCursor(unixSeconds: now, interval: 20, previous: nil, jitter: { 7 }) == "100")
        #expect(Headers.nextCursor(unixSeconds: now, interval: 20, previous: "80", jitter: { 7 }) == "100")
        #expect(Headers.nextCursor(unixSeconds: Headers.cursorEpoch + 100, interval: 20, previous: nil, jitter: { 7 }) == "100")
        #expect(Headers.nextCursor(unixSeconds: now, interval: 20, previous: "garbage", jitter: { 7 }) == "100")
    }

    @Test func cursorMovesPastTheClientsValue() {
        let now = Headers.cursorEpoch + 95
        #expect(Headers.nextCursor(unixSeconds: now, interval: 20, previous: "100", jitter: { 7 }) == "107")
        #expect(Headers.nextCursor(unixSeconds: now, interval: 20, previous: "500", jitter: { 3600 }) == "4100")
    }

    @Test func cursorIsZeroWithoutAWholeSecondTimeout() {
        #expect(Headers.nextCursor(unixSeconds: Headers.cursorEpoch + 95, interval: 0, previous: "5", jitter: { 7 }) == "0")
    }

    @Test func preflightAllowsOnlyKnownHeaders() {
        #expect(Headers.allowedPreflightHeaders(["If-None-Match"]) == "If-None-Match")
        #expect(Headers.allowedPreflightHeaders(["If-None-Match", "traceparent", "x-other"]) == "If-None-Match,traceparent")
        #expect(Headers.allowedPreflightHeaders(["if-none-match,traceparent"]) == nil)
        #expect(Headers.allowedPreflightHeaders([]) == nil)
    }

    @Test func exposedHeadersListTheElectricHeaders() {
        let exposed = Headers.exposedHeaders.split(separator: ",").map(String.init)
        #expect(exposed.contains("electric-offset"))
        #expect(exposed.contains("electric-handle"))
        #expect(exposed.contains("electric-schema"))
        #expect(exposed.contains("electric-cursor"))
        #expect(!exposed.contains("etag"))
    }

    @Test func monotonicTagsIncrease() {
        let first = MonotonicTag.next()
        let second = MonotonicTag.next()
        #expect(second > first)
    }
}

struct ServeConfigurationTests {
    @Test func defaults() throws {
        let configuration = try ServeConfiguration(environment: [:])
        #expect(configuration.storageDirectory == "./conduit-data")
        #expect(configuration.port == 3000)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.longPollTimeout == .seconds(20))
        #expect(configuration.longPollTimeoutSeconds == 20)
        #expect(configuration.logLevel == .info)
    }

    @Test func readsEnvironment() throws {
        let configuration = try ServeConfiguration(environment: [
            "CONDUIT_STORAGE_DIR": "/data", "CONDUIT_PORT": "8080", "CONDUIT_HOST": "0.0.0.0",
            "CONDUIT_LONG_POLL_TIMEOUT": "1500", "CONDUIT_LOG_LEVEL": "DEBUG",
        ])
        #expect(configuration.storageDirectory == "/data")
        #expect(configuration.port == 8080)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.longPollTimeout == .milliseconds(1500))
        #expect(configuration.longPollTimeoutSeconds == 1)
        #expect(configuration.logLevel == .debug)
    }

    @Test(arguments: [
        ("CONDUIT_PORT", "http"), ("CONDUIT_PORT", "70000"), ("CONDUIT_LONG_POLL_TIMEOUT", "0"),
        ("CONDUIT_LONG_POLL_TIMEOUT", "20s"), ("CONDUIT_LOG_LEVEL", "loud"),
    ])
    func rejectsInvalidValues(variable: String, value: String) {
        #expect(throws: ServeConfigurationError.self) { try ServeConfiguration(environment: [variable: value]) }
    }
}

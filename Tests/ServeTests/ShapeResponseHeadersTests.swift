import ConduitCore
import Hummingbird
import Logging
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
        #expect(
            Headers.etag(handle: "3833821-1721812114261", requestOffset: "-1", responseOffset: LogOffset(tx: 0, op: 0))
                == "\"3833821-1721812114261:-1:0_0\"")
        #expect(
            Headers.etag(handle: "h", requestOffset: "26800584_4", responseOffset: LogOffset(tx: 26_800_590, op: 0))
                == "\"h:26800584_4:26800590_0\"")
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
        #expect(throws: ConfigurationError.self) { try ServeConfiguration(environment: [variable: value]) }
    }
}

struct ServeSecretTests {
    @Test func secretComesFromTheEnvironment() throws {
        #expect(try ServeConfiguration(environment: [:]).secret == nil)
        #expect(try ServeConfiguration(environment: ["CONDUIT_SECRET": ""]).secret == nil)
        #expect(try ServeConfiguration(environment: ["CONDUIT_SECRET": "s3cret"]).secret == "s3cret")
    }

    @Test func constantTimeComparison() {
        #expect(ServeResponder.constantTimeEqual("abc", "abc"))
        #expect(!ServeResponder.constantTimeEqual("abc", "abd"))
        #expect(!ServeResponder.constantTimeEqual("abc", "abcd"))
        #expect(!ServeResponder.constantTimeEqual("", "a"))
        #expect(ServeResponder.constantTimeEqual("", ""))
    }
}

struct ServeAuthorizationTests {
    static func responder(secret: String?) -> ServeResponder {
        var configuration = ServeConfiguration()
        configuration.secret = secret
        let notifier = LiveNotifier()
        let routes = ShapeRoutes(
            configuration: configuration,
            catalog: ShapeCatalog(layout: StorageLayout(root: "/nonexistent")),
            notifier: notifier,
            resolver: FakeResolver(answer: { _ in .rejected(.unavailable(message: "unused", retryAfterSeconds: 1)) })
        )
        return ServeResponder(shapes: routes, notifier: notifier, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    static func request(_ path: String) -> Request {
        Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: path), body: RequestBody(buffer: ByteBuffer()))
    }

    @Test func secretIsRequiredWhenConfigured() {
        let responder = Self.responder(secret: "s3cret")
        #expect(responder.isAuthorized(Self.request("/v1/shape?table=t&offset=-1&secret=s3cret")))
        #expect(responder.isAuthorized(Self.request("/v1/shape?table=t&offset=-1&api_secret=s3cret")))
        #expect(!responder.isAuthorized(Self.request("/v1/shape?table=t&offset=-1&secret=wrong")))
        #expect(!responder.isAuthorized(Self.request("/v1/shape?table=t&offset=-1")))
    }

    @Test func anythingGoesWithoutASecret() {
        #expect(Self.responder(secret: nil).isAuthorized(Self.request("/v1/shape?table=t&offset=-1")))
    }

    @Test func healthIsActiveOnlyWhileRouterIsReady() async throws {
        let responder = Self.responder(secret: nil)
        let starting = responder.health()
        #expect(starting.status == .accepted)
        #expect(try await starting.bodyText() == "{\"status\":\"starting\"}")
        responder.notifier.routerConnectionChanged(true)
        #expect(responder.health().status == .accepted, "connected is not ready: router says so")
        responder.notifier.receive(.ready)
        let active = responder.health()
        #expect(active.status == .ok)
        #expect(active.headers[.cacheControl] == "no-cache, no-store, must-revalidate")
        #expect(try await active.bodyText() == "{\"status\":\"active\"}")
        responder.notifier.routerConnectionChanged(false)
        let lost = responder.health()
        #expect(lost.status == .serviceUnavailable)
        #expect(lost.headers[.retryAfter] == "1")
        responder.notifier.beginShutdown()
        #expect(try await responder.health().bodyText() == "{\"status\":\"stopping\"}")
    }

    @Test func preflightEchoesAllowedHeaders() {
        var head = HTTPRequest(method: .options, scheme: "http", authority: "localhost", path: "/v1/shape")
        head.headerFields[.accessControlRequestHeaders] = "If-None-Match"
        let response = ServeResponder.preflight(Request(head: head, body: RequestBody(buffer: ByteBuffer())))
        #expect(response.status == .noContent)
        #expect(response.headers[.accessControlMaxAge] == "86400")
        #expect(response.headers[.accessControlAllowHeaders] == "If-None-Match")
        #expect(response.headers[.cacheControl] == nil)
    }
}

import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Serve

/// The guard in front of NIO's HTTP/1.1 decoder, driven byte for byte on an `EmbeddedChannel`
/// (whose clock only moves when the test advances it).
struct ConnectionGuardTests {
    static let limits = RequestLimits(maxURLBytes: 1024, maxHeaderBytes: 1024, maxBodyBytes: 100, headTimeout: .seconds(10))

    /// A channel with the guard around the HTTP server codec, as ``ServeChildChannel`` builds it.
    static func makeChannel(watch: ConnectionWatch = ConnectionWatch()) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let pipeline = channel.pipeline.syncOperations
        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        let handlers = ConnectionGuard(limits: limits, watch: watch).makeHandlers()
        let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        try pipeline.addHandler(handlers.bytes, position: .first)
        try pipeline.addHandler(handlers.messages, position: .after(decoder))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static func send(_ text: String, to channel: EmbeddedChannel) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    static func requestParts(_ channel: EmbeddedChannel) throws -> [HTTPServerRequestPart] {
        var parts: [HTTPServerRequestPart] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) { parts.append(part) }
        return parts
    }

    static func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func pipelinedRequestsPassOneHeadAtATime() throws {
        let channel = try Self.makeChannel()
        let request = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        for byte in (request + request + "GET /b HTTP/1.1\r\n").utf8 { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        try Self.send("Host: x\r\n\r\n", to: channel)
        let uris = try Self.requestParts(channel).compactMap { part -> String? in
            if case .head(let head) = part { return head.uri }
            return nil
        }
        #expect(uris == ["/a", "/a", "/b"])
        #expect(try Self.written(channel).isEmpty)
    }

    @Test func longTargetIsAnswered414() throws {
        let channel = try Self.makeChannel()
        try Self.send("GET /" + String(repeating: "a", count: 1100) + " HTTP/1.1\r\n\r\n", to: channel)
        let answer = try Self.written(channel)
        #expect(answer.hasPrefix("HTTP/1.1 414 URI Too Long\r\n"))
        #expect(answer.contains("\r\nconnection: close\r\n"))
        #expect(answer.hasSuffix("{\"message\":\"URI too long: the request target exceeds 1024 bytes\"}"))
        #expect(try Self.requestParts(channel).isEmpty)
    }

    @Test func largeHeaderBlockIsAnswered431() throws {
        let channel = try Self.makeChannel()
        try Self.send("GET / HTTP/1.1\r\n" + String(repeating: "X-Filler: 0123456789\r\n", count: 60), to: channel)
        #expect(try Self.written(channel).hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        #expect(try Self.requestParts(channel).isEmpty)
    }

    @Test func declaredLargeBodyIsAnswered413() throws {
        let channel = try Self.makeChannel()
        try Self.send("GET / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", to: channel)
        let answer = try Self.written(channel)
        #expect(answer.hasPrefix("HTTP/1.1 413 Content Too Large\r\n"))
        #expect(answer.hasSuffix("{\"error\":\"Request body too large\",\"limit\":100}"))
        #expect(try Self.requestParts(channel).isEmpty)
    }

    @Test func chunkedBodyOverTheLimitIsAnswered413BeforeAResponseStarted() throws {
        let channel = try Self.makeChannel()
        try Self.send("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", to: channel)
        guard case .head(let head) = try Self.requestParts(channel).first else {
            Issue.record("the head should pass")
            return
        }
        #expect(head.headers["connection"] == ["close"], "a request with a body is the connection's last")
        try Self.send("64\r\n" + String(repeating: "b", count: 100) + "\r\n", to: channel)
        #expect(try Self.written(channel).isEmpty)
        try Self.send("1\r\nb\r\n", to: channel)
        #expect(try Self.written(channel).hasPrefix("HTTP/1.1 413 "))
        // The part within the limit went on to Hummingbird (POST /v1/shape reads bodies); the one
        // past it did not.
        let parts = try Self.requestParts(channel)
        #expect(parts.count == 1, "\(parts)")
        if case .body(let bytes)? = parts.first {
            #expect(bytes.readableBytes == 100)
        } else {
            Issue.record("expected the first body part, got \(parts)")
        }
    }

    /// serve closes the connection after a request with a body, so its response says so: an
    /// HTTP/1.1 client must not send another request on it.
    @Test func aResponseToARequestWithABodySaysConnectionClose() throws {
        let channel = try Self.makeChannel()
        try Self.send("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", to: channel)
        _ = try Self.requestParts(channel)
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["content-length": "0"])
        try channel.writeOutbound(HTTPServerResponsePart.head(head))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(try Self.written(channel).lowercased().contains("connection: close\r\n"))

        let plain = try Self.makeChannel()
        try Self.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n", to: plain)
        _ = try Self.requestParts(plain)
        try plain.writeOutbound(HTTPServerResponsePart.head(head))
        try plain.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(!(try Self.written(plain).lowercased().contains("connection:")), "keep-alive stays implicit")
    }

    @Test func slowHeadIsAnswered408AfterTheHeadTimeout() throws {
        let channel = try Self.makeChannel()
        for byte in "GET / HTTP/1.1\r\nHost".utf8 {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(400))
        }
        #expect(try Self.written(channel).isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(try Self.written(channel).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test func silentConnectionIsClosedWithoutAnAnswer() throws {
        let channel = try Self.makeChannel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(try Self.written(channel).isEmpty)
        #expect(!channel.isActive)
    }

    /// After a complete request the head timer waits for the next request's first byte: an idle
    /// keep-alive connection is the idle timeout's business.
    @Test func headTimerRestartsWithTheNextRequestsFirstByte() throws {
        let channel = try Self.makeChannel()
        try Self.send("GET / HTTP/1.1\r\n\r\n", to: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        try Self.send("G", to: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(!channel.isActive)
        #expect(try Self.written(channel).isEmpty, "a request is in flight: closed, not answered in between")
    }

    @Test func endOfInputIsReportedToTheWatch() throws {
        let watch = ConnectionWatch()
        let channel = try Self.makeChannel(watch: watch)
        #expect(!watch.isPeerClosed)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(watch.isPeerClosed)
    }

    /// A connection over the limit: only the byte handler, refusing.
    static func makeRefusedChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let refusing = ConnectionGuard(limits: limits, watch: ConnectionWatch(), refusal: .tooManyConnections(limit: 7))
        try channel.pipeline.syncOperations.addHandler(refusing.makeHandlers().bytes)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    @Test func refusedConnectionGets503() throws {
        let channel = try Self.makeRefusedChannel()
        #expect(try Self.written(channel).isEmpty, "answered once the request arrives")
        try Self.send("GET / HTTP/1.1\r\n", to: channel)
        let answer = try Self.written(channel)
        #expect(answer.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(answer.contains("\r\nretry-after: "))
        #expect(answer.contains("(limit: 7)"))
        #expect(try Self.requestParts(channel).isEmpty)
    }

    @Test func refusedConnectionThatSendsNothingIsAnsweredAfterASecond() throws {
        let channel = try Self.makeRefusedChannel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try Self.written(channel).hasPrefix("HTTP/1.1 503 "))
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }
}

import ConduitCore
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

@testable import Serve

/// The connection handling serve does itself since it has no task per connection
/// (``HTTPExchangeHandler``): pipelining, `connection: close`, half-closed input, malformed
/// requests, and a keep-alive connection alternating live waits and plain requests.
@Suite(.timeLimit(.minutes(2)))
struct HTTPExchangeTests {
    static let snapshot = "/v1/shape?table=items&offset=-1"

    /// Status lines of the responses in `raw`, in order (a body without a line break may run
    /// into the next response's status line).
    static func statusLines(_ raw: String) -> [String] {
        raw.matches(of: /HTTP\/1\.[01] \d{3} [A-Za-z ]+/).map { String($0.output) }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderThenClosed() async throws {
        let fixture = try ServeServerTests.caughtUpFixture(longPollTimeout: .seconds(5))
        try await RunningServe.with(fixture) { serve in
            let raw = try await serve.rawExchange(
                "GET \(Self.snapshot) HTTP/1.1\r\nhost: x\r\n\r\n"
                    + "GET /nowhere HTTP/1.1\r\nhost: x\r\n\r\n"
                    + "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            #expect(Self.statusLines(raw) == ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"])
            #expect(raw.contains("{\"key\":\"1\"}"))
            // rawExchange returned: serve closed the connection after the third response.
            #expect(serve.application.connections.accepted == 1)
        }
    }

    /// An HTTP/1.0 request is the connection's last: answered in HTTP/1.0, the body not chunked
    /// but ended by closing the connection.
    @Test func http10RequestIsAnsweredThenClosed() async throws {
        let fixture = try ServeServerTests.caughtUpFixture(longPollTimeout: .seconds(5))
        try await RunningServe.with(fixture) { serve in
            let raw = try await serve.rawExchange("GET \(Self.snapshot) HTTP/1.0\r\nhost: x\r\n\r\n")
            #expect(raw.hasPrefix("HTTP/1.0 200 OK\r\n"))
            #expect(!raw.lowercased().contains("transfer-encoding: chunked"))
            // The body runs to the end of the connection: the rows, then the snapshot-end control.
            #expect(raw.contains("\r\n\r\n[{\"key\":\"1\"},{\"headers\":{\"control\":\"snapshot-end\""))
            #expect(raw.hasSuffix("}}]"))
        }
    }

    /// Each response carries its own request's version, pipelined behind another.
    @Test func pipelinedHTTP10RequestGetsAnHTTP10Response() async throws {
        let fixture = try ServeServerTests.caughtUpFixture(longPollTimeout: .seconds(5))
        try await RunningServe.with(fixture) { serve in
            let raw = try await serve.rawExchange("GET / HTTP/1.1\r\nhost: x\r\n\r\nGET /nowhere HTTP/1.0\r\nhost: x\r\n\r\n")
            #expect(Self.statusLines(raw) == ["HTTP/1.1 200 OK", "HTTP/1.0 404 Not Found"])
        }
    }

    /// HEAD responses carry headers only, whatever body the route built.
    @Test func headRequestsGetNoBody() async throws {
        let fixture = try ServeServerTests.caughtUpFixture(longPollTimeout: .seconds(5))
        try await RunningServe.with(fixture) { serve in
            let raw = try await serve.rawExchange(
                "HEAD \(Self.snapshot) HTTP/1.1\r\nhost: x\r\n\r\n" + "HEAD /nowhere HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            #expect(Self.statusLines(raw) == ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"])
            #expect(!raw.contains("{\"key\""))
            #expect(!raw.contains("Not found"))
            #expect(raw.hasSuffix("\r\n\r\n"))
        }
    }

    @Test func malformedRequestIsAnswered400AndClosed() async throws {
        let fixture = try ServeServerTests.caughtUpFixture(longPollTimeout: .seconds(5))
        try await RunningServe.with(fixture) { serve in
            let raw = try await serve.rawExchange("GET / HTTP/1.1\r\nhost x\r\n\r\n")
            #expect(Self.statusLines(raw) == ["HTTP/1.1 400 Bad Request"])
        }
    }

    /// A client that sends its request and closes its sending side still gets the answer, then
    /// the connection closes.
    @Test func requestSentWithHalfCloseIsAnswered() async throws {
        let fixture = try ServeServerTests.caughtUpFixture(longPollTimeout: .seconds(5))
        try await RunningServe.with(fixture) { serve in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: serve.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    }
                }
            let raw = try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "GET \(Self.snapshot) HTTP/1.1\r\nhost: x\r\n\r\n"))
                outbound.finish()
                var received = ""
                for try await bytes in inbound { received += String(buffer: bytes) }
                return received
            }
            #expect(Self.statusLines(raw) == ["HTTP/1.1 200 OK"])
            #expect(raw.contains("{\"key\":\"1\"}"))
        }
    }

    /// A parked long-poll that times out, then a plain request, then another long-poll answered
    /// by a change, all on one connection; nothing stays registered afterwards.
    @Test func liveWaitsAndPlainRequestsAlternateOnOneConnection() async throws {
        // Long enough for `startLivePoll` to see the second wait on a loaded machine (with 200 ms
        // a wait could time out unseen, and the test looked for it forever), short enough for
        // the first to time out.
        let fixture = try ServeServerTests.caughtUpFixture(longPollTimeout: .seconds(2))
        try await RunningServe.with(fixture) { serve in
            try await serve.withConnection { connection in
                let timedOut = try await connection.get(ServeServerTests.livePoll)
                #expect(timedOut?.head.status == .ok)
                #expect(timedOut?.head.headers["electric-up-to-date"] == [""])
                let plain = try await connection.get(Self.snapshot)
                #expect(plain?.body.contains("{\"key\":\"1\"}") == true)
                try await ServeServerTests.startLivePoll(on: &connection, fixture)
                try ServeServerTests.commitChange("{\"c\":5}", at: 1200, to: fixture)
                let data = try await connection.response()
                #expect(data?.body.hasPrefix("[{\"c\":5},") == true)
            }
            #expect(serve.application.connections.accepted == 1)
            #expect(fixture.notifier.waiterCount == 0)
        }
    }

    /// A response's writer goes on at once while the connection is writable, waits while it is
    /// not (a client that stopped reading), and fails once it is closed.
    @Test func writerWaitsForWritability() async throws {
        let channel = EmbeddedChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        let writability = Writability()
        try await writability.wait(for: channel)
        channel.isWritable = false
        let waiting = Task { try await writability.wait(for: channel) }
        while !writability.isWaiting { await Task.yield() }
        channel.isWritable = true
        writability.changed()
        try await waiting.value
        #expect(!writability.isWaiting)

        channel.isWritable = false
        try await channel.close().get()
        await #expect(throws: ChannelError.self) { try await writability.wait(for: channel) }
    }
}

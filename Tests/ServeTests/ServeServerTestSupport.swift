import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

@testable import Serve

/// serve's real HTTP server in this process, on an ephemeral port, over a ``RoutesFixture``.
struct RunningServe {
    let port: Int
    let application: ServeApplication
    let group: ServiceGroup

    /// Starts the server, runs `body`, then stops it gracefully and waits until it has stopped.
    static func with(
        _ fixture: RoutesFixture,
        configure: (inout ServeConfiguration) -> Void = { _ in },
        _ body: (RunningServe) async throws -> Void
    ) async throws {
        var configuration = fixture.routes.configuration
        configuration.port = 0
        configure(&configuration)
        let routes = ShapeRoutes(
            configuration: configuration,
            catalog: fixture.routes.catalog,
            notifier: fixture.notifier,
            resolver: fixture.routes.resolver
        )
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let application = ServeApplication(routes: routes, logger: logger, onListening: { portContinuation.yield($0) })
        let group = application.serviceGroup(logger: logger, signals: [])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { return }
            do {
                try await body(RunningServe(port: port, application: application, group: group))
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// Opens a client connection, runs `body` with it, and closes it.
    /// - Parameter reading: false makes a client that never reads what serve sends.
    func withConnection<Result: Sendable>(
        reading: Bool = true,
        _ body: (inout TestHTTPConnection) async throws -> Result
    ) async throws -> Result {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if !reading {
            bootstrap = bootstrap.channelOption(ChannelOptions.autoRead, value: false)
                .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 4096)
        }
        let channel =
            try await bootstrap
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = TestHTTPConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&connection)
        }
    }
}

extension RunningServe {
    /// Sends `request` on a new connection as raw bytes (a failed write is ignored) and returns
    /// everything serve sends until it closes the connection.
    func rawExchange(_ request: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try? await outbound.write(ByteBuffer(string: request))
            var received = ""
            do {
                for try await bytes in inbound { received += String(buffer: bytes) }
            } catch {
                // A reset after the answer: what arrived is the answer.
            }
            return received
        }
    }
}

/// One client connection: requests go out one at a time, responses are read whole.
struct TestHTTPConnection {
    var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    func send(_ uri: String) async throws {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
        head.headers.add(name: "host", value: "localhost")
        try await outbound.write(contentsOf: [.head(head), .end(nil)])
    }

    /// The next response, or nil when the server closed the connection first.
    mutating func response() async throws -> (head: HTTPResponseHead, body: String)? {
        var head: HTTPResponseHead?
        var body = ""
        while let part = try await inbound.next() {
            switch part {
            case .head(let received): head = received
            case .body(let bytes): body += String(buffer: bytes)
            case .end: return head.map { ($0, body) }
            }
        }
        return nil
    }

    mutating func get(_ uri: String) async throws -> (head: HTTPResponseHead, body: String)? {
        try await send(uri)
        return try await response()
    }
}

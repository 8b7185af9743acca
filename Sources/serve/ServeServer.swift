import ConduitCore
import Glibc
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// serve's listening socket and accept loop, as a `Service`.
///
/// Hummingbird's own `Server` binds only a host and port with `SO_REUSEADDR`; it cannot bind with
/// `SO_REUSEPORT` nor adopt a socket inherited from systemd, which is how several serve processes
/// answer on one port (issue 8). Each connection is set up by ``ServeChildChannel`` and lives in
/// its NIO pipeline, with no task per connection: NIO's `ServerBootstrap` accepts for an address
/// serve binds itself, a ``SharedSocketAcceptor`` for an inherited socket.
///
/// Graceful shutdown (SIGTERM): accepting stops (the bound socket is closed; an inherited one is
/// left to the other processes), `onShutdown` runs (it answers waiting long-polls and ends SSE
/// streams), idle connections are closed and busy ones close after their response
/// (``OpenConnections/stopAll(closingAfter:on:)``), and what is still open after
/// `shutdownTimeout` is closed; ``run()`` returns once every connection is gone.
final class ServeServer: Service {
    /// Where the server listens.
    enum Listener: Sendable, Equatable {
        /// Bind `host:port`, with `SO_REUSEPORT` when `reusePort` is set.
        case address(host: String, port: Int, reusePort: Bool)
        /// Accept on an already listening socket (systemd socket activation).
        case inherited(descriptor: Int32)
    }

    let listener: Listener
    let childChannel: ServeChildChannel
    let logger: Logger
    /// How long graceful shutdown waits for responses in flight before closing their connections.
    let shutdownTimeout: Duration
    private let eventLoopGroup: any EventLoopGroup
    private let onListening: @Sendable (Int) -> Void
    private let onShutdown: @Sendable () -> Void

    /// - Parameters:
    ///   - onListening: receives the port once connections are accepted.
    ///   - onShutdown: runs when graceful shutdown starts, after accepting stopped.
    init(
        listener: Listener,
        childChannel: ServeChildChannel,
        shutdownTimeout: Duration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in },
        onShutdown: @escaping @Sendable () -> Void
    ) {
        self.listener = listener
        self.childChannel = childChannel
        self.shutdownTimeout = shutdownTimeout
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onListening = onListening
        self.onShutdown = onShutdown
    }

    func run() async throws {
        switch listener {
        case .address(let host, let port, let reusePort):
            let server = try await bind(host: host, port: port, reusePort: reusePort)
            announce(port: server.localAddress?.port ?? port)
            await serve(stopAccepting: { server.close(promise: nil) }) {
                try? await server.closeFuture.get()
            }
        case .inherited(let descriptor):
            let acceptor = SharedSocketAcceptor(descriptor: descriptor)
            announce(port: Self.localPort(of: descriptor))
            await serve(stopAccepting: { acceptor.stop() }) {
                do {
                    while let socket = try await acceptor.next() { await self.adopt(socket) }
                } catch {
                    self.logger.error("Accepting connections failed", metadata: [LogKey.error: "\(error)"])
                }
            }
            await acceptor.close()
        }
        logger.info("All connections closed")
    }

    /// Runs `accept` until accepting stops, then waits until every connection has closed;
    /// graceful shutdown stops accepting and asks connections to finish. Cancelled (the service
    /// group's backstop), it closes whatever is open.
    private func serve(stopAccepting: @escaping @Sendable () -> Void, accept: () async -> Void) async {
        let connections = childChannel.connections
        let shutdownTimeout = self.shutdownTimeout
        let eventLoop = eventLoopGroup.any()
        let onShutdown = self.onShutdown
        let logger = self.logger
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await accept()
                await connections.allClosed()
            } onGracefulShutdown: {
                logger.info("Stopping: no new connections, answering waiting requests")
                SystemdNotifier.stopping()
                stopAccepting()
                connections.stopAll(closingAfter: shutdownTimeout, on: eventLoop)
                onShutdown()
            }
        } onCancel: {
            stopAccepting()
            connections.stopAll(closingAfter: .zero, on: eventLoop)
        }
    }

    private func bind(host: String, port: Int, reusePort: Bool) async throws -> any Channel {
        let childChannel = self.childChannel
        let logger = self.logger
        var bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelOption(ChannelOptions.recvAllocator, value: Self.receiveBuffers)
            .childChannelInitializer { channel in childChannel.setup(channel: channel, logger: logger) }
        if reusePort {
            bootstrap = bootstrap.serverChannelOption(
                ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: SO_REUSEPORT)),
                value: 1
            )
        }
        return try await bootstrap.bind(host: host, port: port).get()
    }

    /// Takes over a connection accepted from a shared socket.
    private func adopt(_ socket: Int32) async {
        let childChannel = self.childChannel
        let logger = self.logger
        do {
            _ = try await ClientBootstrap(group: eventLoopGroup)
                // A client's FIN is reported as `inputClosed` instead of closing the channel, so a
                // response to a request sent with a half-close still goes out.
                .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                .channelOption(ChannelOptions.recvAllocator, value: Self.receiveBuffers)
                .channelInitializer { channel in childChannel.setup(channel: channel, logger: logger) }
                .withConnectedSocket(socket)
                .get()
        } catch {
            logger.debug("Could not take over an accepted connection", metadata: [LogKey.error: "\(error)"])
        }
    }

    /// Receive buffers start at 512 bytes (NIO's default is 2 KiB) and grow with the traffic:
    /// a connection keeps its last buffer for the next read, and a parked long-poll's request
    /// is a few hundred bytes (issue 11: idle live connections).
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 256, initial: 512, maximum: 65536)

    private func announce(port: Int) {
        logger.info("Listening", metadata: [LogKey.listenAddress: "\(listener)", LogKey.port: "\(port)"])
        onListening(port)
        SystemdNotifier.ready(status: "listening on port \(port)")
    }

    private static func localPort(of descriptor: Int32) -> Int {
        var address = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        // sin_port and sin6_port sit at the same offset.
        return named == 0 ? Int(UInt16(bigEndian: address.sin6_port)) : 0
    }
}

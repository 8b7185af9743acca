import Glibc
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle

/// serve's listening socket and accept loop, as a `Service`.
///
/// Hummingbird's own `Server` binds only a host and port with `SO_REUSEADDR`; it cannot bind with
/// `SO_REUSEPORT` nor adopt a socket inherited from systemd, which is how several serve processes
/// answer on one port (issue 8). This is the same loop around NIO's `ServerBootstrap`, serving
/// each connection with Hummingbird's HTTP/1.1 channel through ``ServeChildChannel``.
///
/// Graceful shutdown (SIGTERM): the listening socket is closed, `onShutdown` runs (it answers
/// waiting long-polls and ends SSE streams), idle connections are closed, and busy ones close
/// after their response; ``run()`` returns once every connection is gone. The service group
/// bounds that with ``ServeConfiguration/shutdownTimeout`` and cancels what is left.
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
    private let eventLoopGroup: any EventLoopGroup
    private let onListening: @Sendable (Int) -> Void
    private let onShutdown: @Sendable () -> Void

    /// - Parameters:
    ///   - onListening: receives the bound port once connections are accepted.
    ///   - onShutdown: runs when graceful shutdown starts, after the socket stopped accepting.
    init(
        listener: Listener,
        childChannel: ServeChildChannel,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in },
        onShutdown: @escaping @Sendable () -> Void
    ) {
        self.listener = listener
        self.childChannel = childChannel
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onListening = onListening
        self.onShutdown = onShutdown
    }

    func run() async throws {
        let quiescing = ServerQuiescingHelper(group: eventLoopGroup)
        let server = try await bind(quiescing: quiescing)
        let port = server.channel.localAddress?.port ?? 0
        logger.info("Listening", metadata: ["serve.listener": "\(listener)", "serve.port": "\(port)"])
        onListening(port)
        let childChannel = self.childChannel
        let logger = self.logger
        let onShutdown = self.onShutdown
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            group.addTask { await childChannel.handle(connection, logger: logger) }
                        }
                    }
                } catch {
                    logger.error("Accepting connections failed", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            logger.info("Stopping: no new connections, answering waiting requests")
            quiescing.initiateShutdown(promise: nil)
            onShutdown()
        }
        logger.info("All connections closed")
    }

    private func bind(quiescing: ServerQuiescingHelper) async throws -> NIOAsyncChannel<ServeChildChannel.Connection, Never> {
        let childChannel = self.childChannel
        let logger = self.logger
        var bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            // A client's FIN is reported as `inputClosed` instead of closing the channel, so a
            // response to a request sent with a half-close still goes out.
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
        switch listener {
        case .address(let host, let port, let reusePort):
            if reusePort {
                bootstrap = bootstrap.serverChannelOption(
                    ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: SO_REUSEPORT)),
                    value: 1
                )
            }
            return try await bootstrap.bind(host: host, port: port) { channel in
                childChannel.setup(channel: channel, logger: logger)
            }
        case .inherited(let descriptor):
            return try await bootstrap.bind(descriptor) { channel in
                childChannel.setup(channel: channel, logger: logger)
            }
        }
    }
}

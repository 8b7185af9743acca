import ConduitCore
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Sets up and serves one accepted connection: Hummingbird's HTTP/1.1 pipeline behind a
/// ``ConnectionGuard``, and a responder that knows the connection's ``ConnectionWatch``.
///
/// Over ``OpenConnections/limit`` open connections a new one gets no HTTP pipeline at all: it is
/// answered 503 and closed, costing a descriptor for a second or two.
struct ServeChildChannel: Sendable {
    /// Answers one request on a connection.
    typealias Responder = @Sendable (Request, consuming ResponseWriter, ConnectionWatch) async throws -> Void

    /// An accepted connection.
    struct Connection: Sendable {
        /// nil for a connection refused over the limit.
        let http: HTTP1Channel.Value?
        let watch: ConnectionWatch
    }

    let limits: RequestLimits
    let connections: OpenConnections
    let responder: Responder
    private let http1: HTTP1Channel.Configuration

    init(limits: RequestLimits, connections: OpenConnections, responder: @escaping Responder) {
        self.limits = limits
        self.connections = connections
        self.responder = responder
        // The guard enforces the real limits first; the decoder's are a backstop for bytes the
        // guard passes unscanned (after a request with a body).
        let backstop = limits.maxRequestLineBytes + limits.maxHeaderBytes
        self.http1 = HTTP1Channel.Configuration(
            idleTimeout: TimeAmount(limits.idleTimeout),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: backstop, maxHeaderListSize: backstop, maxHeaderFieldCount: 1000)
        )
    }

    /// Builds the pipeline; runs on the connection's event loop before it is registered.
    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Connection> {
        let watch = ConnectionWatch()
        let limits = self.limits
        let connections = self.connections
        switch connections.admit(channel) {
        case .admitted:
            break
        case .overLimit:
            logger.debug("Connection refused over the limit", metadata: [LogKey.connections: "\(connections.limit)"])
            return channel.eventLoop.makeCompletedFuture {
                let refusing = ConnectionGuard(
                    limits: limits,
                    watch: watch,
                    refusal: .tooManyConnections(limit: connections.limit)
                )
                try channel.pipeline.syncOperations.addHandler(refusing.makeHandlers().bytes)
                return Connection(http: nil, watch: watch)
            }
        case .stopping:
            channel.close(promise: nil)
            return channel.eventLoop.makeSucceededFuture(Connection(http: nil, watch: watch))
        }
        return HTTP1Channel(responder: { _, _, _ in }, configuration: http1)
            .setup(channel: channel, logger: logger)
            .flatMapThrowing { http in
                let handlers = ConnectionGuard(limits: limits, watch: watch).makeHandlers()
                let pipeline = channel.pipeline.syncOperations
                let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                try pipeline.addHandler(handlers.bytes, position: .first)
                try pipeline.addHandler(handlers.messages, position: .after(decoder))
                return Connection(http: http, watch: watch)
            }
    }

    /// Serves the connection's requests until it closes.
    func handle(_ connection: Connection, logger: Logger) async {
        guard let http = connection.http else { return }
        let responder = self.responder
        let watch = connection.watch
        await HTTP1Channel(responder: { request, writer, _ in try await responder(request, writer, watch) }, configuration: http1)
            .handle(value: http, logger: logger)
    }
}

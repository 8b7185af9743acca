import ConduitCore
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Sets up one accepted connection: NIO's HTTP/1.1 server pipeline behind a
/// ``ConnectionGuard``, Hummingbird's idle and quiesce handling, and an ``HTTPExchangeHandler``
/// that answers each request through the responder. A connection has no task of its own.
///
/// Over ``OpenConnections/limit`` open connections a new one gets no HTTP pipeline at all: it is
/// answered 503 and closed, costing a descriptor for a second or two.
struct ServeChildChannel: Sendable {
    typealias Responder = HTTPExchangeHandler.Responder

    let limits: RequestLimits
    let connections: OpenConnections
    let responder: Responder
    private let decoderLimits: NIOHTTPDecoderLimitConfiguration

    init(limits: RequestLimits, connections: OpenConnections, responder: @escaping Responder) {
        self.limits = limits
        self.connections = connections
        self.responder = responder
        // The guard enforces the real limits first; the decoder's are a backstop for bytes the
        // guard passes unscanned (after a request with a body).
        let backstop = limits.maxRequestLineBytes + limits.maxHeaderBytes
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = backstop
        decoderLimits.maxHeaderListSize = backstop
        decoderLimits.maxHeaderFieldCount = 1000
        self.decoderLimits = decoderLimits
    }

    /// Builds the pipeline; runs on the connection's event loop before it is registered.
    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Void> {
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
            }
        case .stopping:
            channel.close(promise: nil)
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        let responder = self.responder
        let decoderLimits = self.decoderLimits
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            // Pipelining assistance: a pipelined request waits until the response before it ended.
            // Error handling: a malformed request is answered 400 (unless a response is under way)
            // and the connection closed.
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: true,
                withErrorHandling: true,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            let handlers = ConnectionGuard(limits: limits, watch: watch).makeHandlers()
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(handlers.bytes, position: .first)
            try pipeline.addHandler(handlers.messages, position: .after(decoder))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            // Closes a connection idle past the limit, and on `ChannelShouldQuiesceEvent` (serve
            // stopping) an idle one at once and a busy one after its response.
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: limits.idleTimeout, logger: logger))
            try pipeline.addHandler(HTTPExchangeHandler(responder: responder, watch: watch))
        }
    }
}

import NIOCore
import NIOHTTP1

/// Enforces ``RequestLimits`` on one connection and reports the client going away to its
/// ``ConnectionWatch``.
///
/// Two handlers share this state: ``ByteHandler`` sits in front of the HTTP decoder and sees raw
/// bytes; ``MessageHandler`` sits right after it and sees decoded request parts and the response
/// parts going out. Both run on the channel's event loop, so the state needs no lock (the class
/// is not `Sendable` and never leaves the loop).
///
/// The byte side scans each request head with ``RequestHeadScanner`` and hands the decoder one
/// head at a time. After a head the decoder emits the request's `.end` synchronously when the
/// request has no body; then the rest of the bytes are the next head. A request with a body makes
/// the guard pass all further bytes through unscanned (the decoder's own limits still bound them)
/// and gets `connection: close`, so no request follows it on the connection.
///
/// A rejection is answered with a ``RejectionResponse`` only when no response is being written
/// on the connection (a pipelined request behind a live one would otherwise receive its answer
/// in the middle of another); otherwise the connection is just closed.
final class ConnectionGuard {
    private enum Mode {
        /// Scanning a request head.
        case head
        /// After a request with a body: bytes go to the decoder unscanned.
        case passThrough
        /// Answered or closing: input is discarded.
        case rejected
    }

    let limits: RequestLimits
    let watch: ConnectionWatch
    private var mode = Mode.head
    private var scanner: RequestHeadScanner
    /// Requests passed on to be answered whose response has not ended.
    private var requestsInFlight = 0
    /// Set when the decoder emits a request's `.end`.
    private var messageComplete = false
    /// Whether the newest request's response head went out.
    private var responseStarted = false
    private var bodyBytes = 0
    /// The HTTP versions of the requests whose response head has not gone out, oldest first.
    private var versions: [HTTPVersion] = []
    /// The guard made the current request the connection's last (it has a body): its response
    /// must say `connection: close`, or an HTTP/1.1 client would send its next request on a
    /// connection serve is closing (seen as a POST never answered by URLSession under load).
    fileprivate private(set) var closesAfterResponse = false
    private var headTimer: Scheduled<Void>?
    private var byteContext: ChannelHandlerContext?
    /// An answer to send instead of reading a request: at the first bytes, or a second after the
    /// connection became active.
    private var refusal: RejectionResponse?

    /// - Parameter refusal: when set, the connection is answered with it and closed without
    ///   reading a request (serve is over its connection limit); only ``ByteHandler`` is needed.
    init(limits: RequestLimits, watch: ConnectionWatch, refusal: RejectionResponse? = nil) {
        self.limits = limits
        self.watch = watch
        self.scanner = RequestHeadScanner(limits: limits)
        self.refusal = refusal
    }

    /// The two handlers to add: the byte handler before the HTTP decoder, the message handler
    /// right after it.
    func makeHandlers() -> (bytes: ByteHandler, messages: MessageHandler) {
        (ByteHandler(guard: self), MessageHandler(guard: self))
    }

    // MARK: Bytes

    fileprivate func attach(_ context: ChannelHandlerContext) {
        byteContext = context
        guard context.channel.isActive, headTimer == nil else { return }
        guard refusal != nil else { return startHeadTimer() }
        // Answer once the request arrives (a client reads the answer after sending), or after a
        // second if it does not.
        headTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { self.refuse() }
    }

    private func refuse() {
        guard let refusal else { return }
        self.refusal = nil
        reject(refusal, canAnswer: true)
    }

    fileprivate func detach() {
        headTimer?.cancel()
        headTimer = nil
        byteContext = nil
    }

    fileprivate func received(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        if refusal != nil { return refuse() }
        var buffer = bytes
        while buffer.readableBytes > 0 {
            switch mode {
            case .rejected:
                return
            case .passThrough:
                context.fireChannelRead(NIOAny(buffer))
                return
            case .head:
                startHeadTimer()
                switch scanner.scan(buffer.readableBytesView) {
                case .needMore:
                    context.fireChannelRead(NIOAny(buffer))
                    return
                case .targetTooLong:
                    reject(.uriTooLong(limit: limits.maxURLBytes), canAnswer: requestsInFlight == 0)
                case .headersTooLarge:
                    reject(.headerFieldsTooLarge(limit: limits.maxHeaderBytes), canAnswer: requestsInFlight == 0)
                case .complete(let consumed):
                    let head = buffer.readSlice(length: consumed)!
                    headTimer?.cancel()
                    headTimer = nil
                    scanner = RequestHeadScanner(limits: limits)
                    messageComplete = false
                    context.fireChannelRead(NIOAny(head))
                    if mode == .head && !messageComplete { mode = .passThrough }
                }
            }
        }
    }

    /// Starts the head timer unless it runs already: at a connection's start, and when the first
    /// byte of a later head arrives (until then the idle timeout applies).
    private func startHeadTimer() {
        guard headTimer == nil, mode == .head, let context = byteContext else { return }
        headTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.headTimeout)) {
            self.headTimedOut()
        }
    }

    private func headTimedOut() {
        headTimer = nil
        guard mode == .head else { return }
        if !scanner.hasStarted && requestsInFlight == 0 {
            // Never sent a byte: nothing to answer.
            mode = .rejected
            byteContext?.close(promise: nil)
            return
        }
        reject(.requestTimeout, canAnswer: requestsInFlight == 0)
    }

    /// Stops reading requests; answers with `response` when `canAnswer`, else just closes.
    ///
    /// After answering, only the output is closed and input is discarded for a moment: closing a
    /// socket with unread input resets the connection, and the client might lose the answer.
    private func reject(_ response: RejectionResponse, canAnswer: Bool) {
        guard mode != .rejected, let context = byteContext else { return }
        mode = .rejected
        headTimer?.cancel()
        headTimer = nil
        guard canAnswer else {
            context.close(promise: nil)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { context.close(promise: nil) }
        }
        context.writeAndFlush(NIOAny(response.bytes), promise: written)
    }

    fileprivate func inputClosed(_ context: ChannelHandlerContext) {
        watch.peerClosed()
        if mode == .rejected { context.close(promise: nil) }
    }

    // MARK: Messages

    /// A decoded request head: nil when it is rejected here instead of forwarded.
    fileprivate func requestHead(_ head: HTTPRequestHead) -> HTTPRequestHead? {
        let length = head.headers.first(name: "content-length").flatMap { Int($0) }
        if let length, length > limits.maxBodyBytes {
            reject(.bodyTooLarge(limit: limits.maxBodyBytes), canAnswer: requestsInFlight == 0)
            return nil
        }
        requestsInFlight += 1
        responseStarted = false
        bodyBytes = 0
        var head = head
        // An HTTP/1.0 request is the connection's last (its response has no chunked encoding, so
        // a body of unknown length ends with the connection), and so is one saying `close`. The
        // HTTP types passed on carry no version: it is said with the header, and the response
        // head gets the request's version back on its way out (``responseHead(_:)``).
        versions.append(head.version)
        if !head.isKeepAlive || head.version == .http1_0 { head.headers.replaceOrAdd(name: "connection", value: "close") }
        guard (length ?? 0) > 0 || head.headers.contains(name: "transfer-encoding") else { return head }
        head.headers.replaceOrAdd(name: "connection", value: "close")
        closesAfterResponse = true
        return head
    }

    /// Counts a body part (passed on while within the limit: `POST /v1/shape`
    /// reads its JSON body).
    fileprivate func requestBody(_ bytes: ByteBuffer) {
        bodyBytes += bytes.readableBytes
        guard bodyBytes > limits.maxBodyBytes else { return }
        reject(.bodyTooLarge(limit: limits.maxBodyBytes), canAnswer: requestsInFlight == 1 && !responseStarted)
    }

    fileprivate func requestEnded() { messageComplete = true }

    fileprivate var isRejected: Bool { mode == .rejected }

    /// A final response head goes out with its request's version (HTTP/1.0 clients get an
    /// HTTP/1.0 response, so NIO's encoder does not chunk its body).
    fileprivate func responseHead(_ head: HTTPResponseHead) -> HTTPResponseHead {
        guard head.status.code >= 200, !versions.isEmpty else { return head }
        let version = versions.removeFirst()
        guard version == .http1_0 else { return head }
        var head = head
        head.version = version
        return head
    }

    fileprivate func responsePart(_ part: HTTPServerResponsePart) {
        switch part {
        case .head(let head) where head.status.code >= 200: responseStarted = true
        case .end: requestsInFlight -= 1
        default: break
        }
    }
}

extension ConnectionGuard {
    /// The guard's raw-byte side, first in the pipeline.
    final class ByteHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        private let owner: ConnectionGuard

        fileprivate init(guard owner: ConnectionGuard) { self.owner = owner }

        func handlerAdded(context: ChannelHandlerContext) { owner.attach(context) }

        func handlerRemoved(context: ChannelHandlerContext) { owner.detach() }

        func channelActive(context: ChannelHandlerContext) {
            owner.attach(context)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            owner.received(unwrapInboundIn(data), context: context)
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event as? ChannelEvent == .inputClosed { owner.inputClosed(context) }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            owner.watch.peerClosed()
            owner.detach()
            context.fireChannelInactive()
        }
    }

    /// The guard's request-part side, right after the HTTP decoder.
    final class MessageHandler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart

        private let owner: ConnectionGuard

        fileprivate init(guard owner: ConnectionGuard) { self.owner = owner }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                if let head = owner.requestHead(head) { context.fireChannelRead(wrapInboundOut(.head(head))) }
            case .body(let bytes):
                owner.requestBody(bytes)
                if !owner.isRejected { context.fireChannelRead(data) }
            case .end:
                owner.requestEnded()
                context.fireChannelRead(data)
            }
        }

        /// Once the guard answered, the decoder's complaints about the unfinished request (end of
        /// input mid-body) are expected: NIO's protocol error handler must not answer them with a 400.
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            guard !owner.isRejected else { return }
            context.fireErrorCaught(error)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            let part = unwrapOutboundIn(data)
            owner.responsePart(part)
            guard case .head(let original) = part else {
                context.write(data, promise: promise)
                return
            }
            var head = owner.responseHead(original)
            if head.status.code >= 200, owner.closesAfterResponse {
                head.headers.replaceOrAdd(name: "connection", value: "close")
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        }
    }
}

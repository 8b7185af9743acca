import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The last handler of a connection's pipeline: hands each request to the responder and sends
/// its response back, one request at a time, with no task of its own.
///
/// Hummingbird's HTTP/1 channel serves a connection from a task that reads its requests and
/// stays suspended between and under them; that task's frames (about 1 KB of slab per async
/// frame, kept until the task ends) were most of what an idle or parked connection cost
/// (issue 11: 23 KB at 10,000 parked long-polls). Here a connection is its NIO pipeline: a
/// request starts a short-lived task (``ServeResponder/respond(to:connection:reply:)``), the
/// task that produces the response writes it, and a parked long-poll is a callback.
///
/// NIO's `HTTPServerPipelineHandler` (earlier in the pipeline) holds a pipelined request back
/// until the previous response's end went out, so requests arrive here one at a time.
final class HTTPExchangeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Answers `request` by calling its third argument once with the response, from a task
    /// (which then writes it to the connection).
    typealias Responder = @Sendable (Request, ConnectionWatch, @escaping @Sendable (Response) async -> Void) -> Void

    private let responder: Responder
    private let watch: ConnectionWatch
    private let writability = Writability()
    private var head: HTTPRequest?
    private var body: ByteBuffer?
    /// A request was handed to the responder and its response has not ended.
    private var answering = false
    /// Close once the current response ended: the request said `connection: close`, or the
    /// client closed its side after sending it.
    private var closeAfterResponse = false

    init(responder: @escaping Responder, watch: ConnectionWatch) {
        self.responder = responder
        self.watch = watch
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
        case .body(let bytes):
            // ConnectionGuard bounds a body (RequestLimits.maxBodyBytes) before it gets here.
            if body == nil { body = bytes } else { body!.writeImmutableBuffer(bytes) }
        case .end:
            guard let head else { return }
            self.head = nil
            let request = Request(head: head, body: RequestBody(buffer: body ?? ByteBuffer()))
            body = nil
            answering = true
            // ConnectionGuard sets exactly `connection: close` on every request that is the
            // connection's last (NIO's keep-alive rules, HTTP/1.0, a request with a body).
            if head.headerFields[.connection] == "close" { closeAfterResponse = true }
            let channel = context.channel
            let writability = self.writability
            responder(request, watch) { response in await Self.write(response, to: channel, writability: writability) }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        answering = false
        guard closeAfterResponse else {
            context.write(data, promise: promise)
            return
        }
        let channel = context.channel
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        written.futureResult.cascade(to: promise)
        context.write(data, promise: written)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { writability.changed() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        writability.changed()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event as? ChannelEvent == .inputClosed {
            // The client sent all it will: answer what it asked (a request sent with a
            // half-close still gets its response), then close.
            if answering || head != nil { closeAfterResponse = true } else { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A failure on the connection (reading or writing) ends it; a malformed request was
    /// already answered by NIO's protocol error handler.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Writes `response` (head, body, end) from the task that produced it. A write that fails
    /// (the client went away) closes the connection.
    private static func write(_ response: Response, to channel: any Channel, writability: Writability) async {
        channel.write(HTTPResponsePart.head(response.head), promise: nil)
        do {
            try await response.body.write(ChannelResponseBodyWriter(channel: channel, writability: writability))
        } catch {
            channel.close(promise: nil)
        }
    }
}

/// Writes a response body to a channel from a task. Each buffer is flushed at once; a write
/// returns at once while the channel is writable and otherwise waits until it is again (NIO's
/// write-buffer watermarks), so a client that stops reading holds about one window here
/// (serve's windows are ``ServeConfiguration/responseWindowBytes``). Waiting for each write's
/// own completion instead cost two thread hops per window and a quarter of the read row's
/// throughput.
struct ChannelResponseBodyWriter: ResponseBodyWriter {
    let channel: any Channel
    let writability: Writability

    mutating func write(_ buffer: ByteBuffer) async throws {
        channel.writeAndFlush(HTTPResponsePart.body(buffer), promise: nil)
        try await writability.wait(for: channel)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await channel.writeAndFlush(HTTPResponsePart.end(trailingHeaders))
    }
}

/// Whether a connection can take more writes, told by its pipeline (``HTTPExchangeHandler``) to
/// the task writing a response.
final class Writability: Sendable {
    private struct State {
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    init() {}

    /// Returns once `channel` is writable, or closed (a write to it then fails).
    func wait(for channel: any Channel) async throws {
        guard !channel.isWritable else { return }
        await withCheckedContinuation { continuation in
            state.withLock { $0.waiter = continuation }
            // Writability may have come back before the waiter was stored.
            if channel.isWritable || !channel.isActive { changed() }
        }
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
    }

    /// A writer waits now (for tests).
    var isWaiting: Bool { state.withLock { $0.waiter != nil } }

    /// The channel became writable or inactive: the waiting writer goes on.
    func changed() {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }
}

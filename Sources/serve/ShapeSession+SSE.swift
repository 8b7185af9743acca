import ConduitCore
import Hummingbird

/// `live=true&live_sse=true` (protocol.md §4.9): the log as Server-Sent Events.
extension ShapeSession {
    /// A comment is sent after this much silence so proxies keep the stream open.
    static let sseKeepAliveInterval: Duration = .seconds(21)

    /// Streams `data: <message>\n\n` events. When entries already exist after the request
    /// offset they are sent (up to `up-to-date`) and the stream closes; otherwise it stays open,
    /// pushing each new batch followed by `up-to-date`, until ``ServeConfiguration/sseTimeout`` or the shape is
    /// removed (then it closes silently and the reconnecting client gets the 409).
    func sseResponse(after offset: LogOffset, initial: ShapeLogPlan, lastSeen: LSN?) -> Response {
        var headers = headers(end: initial.end, etag: "", upToDate: false, hasData: true, status: .ok)
        headers[.eTag] = nil
        headers[.electricUpToDate] = nil
        headers[.contentType] = "text/event-stream"
        headers[.connection] = "keep-alive"
        // nginx (deploy/nginx/conduit.conf) streams such a response instead of buffering it.
        headers[.xAccelBuffering] = "no"
        let session = self
        let body = ResponseBody { writer in
            var position = offset
            if initial.hasEntries {
                try await session.sendUntilUpToDate(from: initial, position: &position, writer: &writer, lastSeen: lastSeen)
                try await writer.finish(nil)
                return
            }
            try await session.streamLive(position: position, writer: &writer)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    private func streamLive(position start: LogOffset, writer: inout any ResponseBodyWriter) async throws {
        var position = start
        var generation = notifier.generation(of: shape.handle)
        let clock = routes.clock
        let deadline = clock.now.advanced(by: routes.configuration.sseTimeout)
        var lastWrite = clock.now
        while clock.now < deadline {
            let progress = try await waitForProgress(since: &generation, until: deadline)
            guard progress == .proceed else { return }
            let lastSeenBefore = notifier.lastSeenLSN
            if case .ready(let plan) = try await plan(position), plan.hasEntries {
                try await sendUntilUpToDate(from: plan, position: &position, writer: &writer, lastSeen: lastSeenBefore)
                lastWrite = clock.now
            } else if lastWrite.duration(to: clock.now) >= Self.sseKeepAliveInterval {
                try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                lastWrite = clock.now
            }
        }
    }

    /// Sends chunk after chunk from `plan` until one is up to date, then the `up-to-date` event.
    @discardableResult
    private func sendUntilUpToDate(
        from first: ShapeLogPlan,
        position: inout LogOffset,
        writer: inout any ResponseBodyWriter,
        lastSeen: LSN?
    ) async throws -> Bool {
        var plan = first
        while true {
            var cursor = ShapeLogEntryCursor(plan: plan, reader: reader)
            var buffer = ByteBuffer()
            while let entries = try await Self.nextBatch(&cursor, maxBytes: routes.configuration.responseWindowBytes) {
                for entry in entries {
                    buffer.writeString("data: ")
                    buffer.writeBytes(entry)
                    buffer.writeString("\n\n")
                }
                try await writer.write(buffer)
                buffer.clear()
            }
            position = plan.end
            if plan.isUpToDate {
                // The client resumes from `<lsn>_0`: never name a position beyond what was read.
                let endLSN = plan.end.tx > 0 ? UInt64(plan.end.tx) : 0
                let lsn = LSN(max(endLSN, lastSeen?.value ?? 0))
                buffer.writeString("data: " + Self.upToDateMessage(lsn) + "\n\n")
                try await writer.write(buffer)
                return true
            }
            try await writer.write(buffer)
            guard case .ready(let next) = try await self.plan(position) else { return false }
            plan = next
        }
    }
}

import ConduitCore
import Foundation
import Hummingbird
import Logging

/// Serves one resolved shape request: plans the read, waits where the protocol waits (snapshot
/// not published yet, out-of-bounds offsets, live long-polls), and builds the response.
///
/// A class: a parked long-poll (``LongPoll``) holds a reference to it instead of a copy of the
/// request, the shape's metadata and the logger (issue 11: idle live connections).
final class ShapeSession: Sendable {
    let routes: ShapeRoutes
    let request: ShapeRequest
    let shape: ShapeRoutes.ResolvedShape
    let logger: Logger
    /// The client's connection: a wait ends (cancelled) when the client goes away.
    let connection: ConnectionWatch?

    init(routes: ShapeRoutes, request: ShapeRequest, shape: ShapeRoutes.ResolvedShape, logger: Logger, connection: ConnectionWatch? = nil) {
        self.routes = routes
        self.request = request
        self.shape = shape
        self.logger = logger
        self.connection = connection
    }

    /// How often a waiting request re-reads the committed state even without a notification,
    /// in case one was missed or router is down.
    static let recheckInterval: Duration = .seconds(1)

    var reader: ShapeLogReader { routes.catalog.reader(for: shape.metadata) }
    var notifier: LiveNotifier { routes.notifier }

    /// Serves the request up to its response, or up to the wait of a caught-up live request
    /// (``LongPoll``; ``proceed(_:after:)`` goes on from there).
    func step(ifNoneMatch: [String]) async throws -> ShapeStep {
        guard case .offset(let offset) = request.offset else { return .response(try await nowResponse()) }
        var generation = notifier.generation(of: shape.handle)
        // Read before planning, so the log read below contains everything up to it (router
        // broadcasts a position only after applying it).
        let lastSeenBeforePlan = notifier.lastSeenLSN
        let result = try await plan(offset)

        let plan: ShapeLogPlan
        switch try await waitUntilReady(offset, first: result, generation: &generation) {
        case .plan(let ready): plan = ready
        case .response(let response): return .response(response)
        }

        let etag = ShapeResponseHeaders.etag(handle: shape.handle, requestOffset: request.offset.text, responseOffset: plan.end)
        if request.liveSSE { return .response(sseResponse(after: offset, initial: plan, lastSeen: lastSeenBeforePlan)) }
        if ShapeResponseHeaders.ifNoneMatch(ifNoneMatch, matches: etag) {
            return .response(
                Response(
                    status: .notModified,
                    headers: headers(end: plan.end, etag: etag, upToDate: plan.isUpToDate, hasData: true, status: .notModified)))
        }
        if request.live && !plan.hasEntries {
            let deadline = routes.clock.now.advanced(by: routes.configuration.longPollTimeout)
            return .waiting(LongPoll(session: self, offset: offset, initial: plan, generation: generation, deadline: deadline))
        }
        return .response(try await dataResponse(plan))
    }

    private enum Waited {
        case plan(ShapeLogPlan)
        case response(Response)
    }

    /// Waits while the data is not published yet (protocol.md §8.1: snapshot chunks, an
    /// unfinished snapshot; 503 after the snapshot timeout) or the client is ahead of the log
    /// (§7.6: perhaps this process lags; 400 after half a long-poll).
    private func waitUntilReady(_ offset: LogOffset, first: ShapeLogPlanResult, generation: inout UInt64) async throws
        -> Waited
    {
        var result = first
        let snapshotDeadline = routes.clock.now.advanced(by: routes.configuration.snapshotTimeout)
        var boundsDeadline: ContinuousClock.Instant?
        while true {
            let deadline: ContinuousClock.Instant
            switch result {
            case .ready(let plan):
                return .plan(plan)
            case .notReady:
                deadline = snapshotDeadline
            case .outOfBounds:
                let bounds = boundsDeadline ?? routes.clock.now.advanced(by: routes.configuration.longPollTimeout / 2)
                boundsDeadline = bounds
                deadline = bounds
            }
            switch try await waitForProgress(since: &generation, until: deadline) {
            case .removed:
                return .response(await routes.conflictForRemovedShape(request, removedHandle: shape.handle))
            case .shuttingDown:
                return .response(ErrorResponses.shuttingDown)
            case .deadlinePassed where result == .notReady:
                return .response(
                    ErrorResponses.message(.serviceUnavailable, "Timed out waiting for the shape's snapshot", retryAfter: 5)
                )
            case .deadlinePassed:
                return .response(ErrorResponses.invalidRequest(["offset": ["out of bounds for this shape"]]))
            case .proceed:
                result = try await plan(offset)
            }
        }
    }

    /// Plans a read after `offset`.
    ///
    /// An offset past the shape's latest entry but not past what router has processed
    /// (`lastSeenLSN`) is caught up, not out of bounds: the shape has no entries up to there. The
    /// TypeScript client resumes SSE streams from `<global_last_seen_lsn>_0`, which lands there.
    func plan(_ offset: LogOffset) async throws -> ShapeLogPlanResult {
        let reader = self.reader
        let result = try await DiskIO.run { try reader.plan(after: offset) }
        if case .outOfBounds(let latest) = result, isCaughtUp(offset) {
            return .ready(
                ShapeLogPlan(request: offset, end: offset, latest: latest, isUpToDate: true, source: .none, lastChangeLSN: nil)
            )
        }
        return result
    }

    private func isCaughtUp(_ offset: LogOffset) -> Bool {
        guard offset.tx > 0, let processed = notifier.lastSeenLSN else { return false }
        return UInt64(offset.tx) <= processed.value
    }

    enum Progress {
        case proceed
        case removed
        case deadlinePassed
        case shuttingDown
    }

    /// Waits for a notification or one re-check interval, bounded by `deadline`.
    func waitForProgress(since generation: inout UInt64, until deadline: ContinuousClock.Instant) async throws
        -> Progress
    {
        guard let slice = waitSlice(until: deadline) else { return .deadlinePassed }
        let wake = await notifier.wait(for: shape.handle, since: generation, timeout: slice, connection: connection)
        try Task.checkCancellation()
        return try await progress(after: wake, generation: &generation)
    }

    /// How long the next wait before `deadline` may be: one re-check interval at most; nil once
    /// the deadline passed.
    func waitSlice(until deadline: ContinuousClock.Instant) -> Duration? {
        let remaining = routes.clock.now.duration(to: deadline)
        return remaining > .zero ? min(remaining, Self.recheckInterval) : nil
    }

    /// What a wait that ended with `wake` means for the request; `generation` becomes the
    /// shape's generation now, for the next wait.
    func progress(after wake: LiveNotifier.Wake, generation: inout UInt64) async throws -> Progress {
        generation = notifier.generation(of: shape.handle)
        switch wake {
        case .removed: return .removed
        case .cancelled: throw CancellationError()
        case .shuttingDown: return .shuttingDown
        case .advanced: return .proceed
        case .timedOut:
            // Without a notification: make sure router has not dropped the folder meanwhile.
            return await routes.catalog.stillExists(shape.handle) ? .proceed : .removed
        }
    }

    /// Goes on with a caught-up live request after one wait: 409 once the shape is gone, the
    /// no-change response at the deadline (or when serve stops), the new entries once there are
    /// any; otherwise it waits again.
    func proceed(_ poll: LongPoll, after progress: Progress) async throws -> ShapeStep {
        switch progress {
        case .removed:
            return .response(await routes.conflictForRemovedShape(request, removedHandle: shape.handle))
        case .deadlinePassed, .shuttingDown:
            return .response(noChangeResponse(end: poll.initial.end, fallbackLSN: poll.initial.lastChangeLSN))
        case .proceed:
            let result = try await plan(poll.offset)
            if case .ready(let plan) = result, plan.hasEntries { return .response(try await dataResponse(plan)) }
            if case .outOfBounds = result, !isCaughtUp(poll.offset) {
                // The log moved backwards: the shape was replaced under the same handle.
                return .response(await routes.conflictForRemovedShape(request, removedHandle: shape.handle))
            }
            return .waiting(poll)
        }
    }

    /// 200 with the entries of `plan`, plus `up-to-date` when the plan reaches the end.
    ///
    /// The first window of entries is read before answering, so a damaged log still gets a 500;
    /// the rest streams a window at a time (a chunk can be ~10 MB). Each window is read straight
    /// into the buffer that is written (``ShapeLogEntryCursor/nextJoined(into:)``), each write
    /// waits while the connection's send buffer is full, and the next window is read only after
    /// that, so a client that stops reading holds at most about two windows here
    /// (``ServeConfiguration/responseWindowBytes``; the windows after the first are twice that
    /// while the process's budget for them lasts, ``ResponseWindows``), never the chunk.
    private func dataResponse(_ plan: ShapeLogPlan) async throws -> Response {
        let windows = routes.windows
        let trailer = plan.isUpToDate ? Self.upToDateMessage(globalLSN(for: plan)) : nil
        let closing = trailer.map { "," + $0 + "]" } ?? "]"
        let firstCursor = ShapeLogEntryCursor(plan: plan, reader: reader)
        let (afterFirst, first) = try await Self.readWindow(
            firstCursor, bytes: windows.base, after: UInt8(ascii: "["), closing: closing)
        let logger = self.logger
        let directory = reader.files.directory
        let body = ResponseBody { writer in
            guard var buffer = first else {
                try await writer.write(ByteBuffer(string: "[" + (trailer ?? "") + "]"))
                try await writer.finish(nil)
                return
            }
            var cursor = afterFirst
            var grant: ResponseWindows.Grant?
            do {
                while true {
                    try await writer.write(buffer)
                    // The write returned: the connection took the window in (or holds less than
                    // its watermark), so the window's grant goes back before the next is taken.
                    withExtendedLifetime(grant) {}
                    grant = nil
                    if cursor.isFinished { break }
                    let step = windows.grant()
                    grant = step
                    let (advanced, next) = try await Self.readWindow(
                        cursor, bytes: step.bytes, after: UInt8(ascii: ","), closing: closing)
                    cursor = advanced
                    guard let next else { throw ShapeLogError.corrupt(path: directory, detail: "entries ended before the plan's end") }
                    buffer = next
                }
            } catch let error as ShapeLogError {
                // Headers are gone already: end the body early so the client sees invalid JSON and retries.
                logger.error("Shape log read failed mid-response", metadata: ["error": "\(error)"])
                throw error
            }
            try await writer.finish(nil)
        }
        let etag = ShapeResponseHeaders.etag(handle: shape.handle, requestOffset: request.offset.text, responseOffset: plan.end)
        return Response(
            status: .ok,
            headers: headers(end: plan.end, etag: etag, upToDate: plan.isUpToDate, hasData: true, status: .ok),
            body: body
        )
    }

    /// Reads the cursor's next window of about `bytes` on the I/O pool into a new buffer that
    /// starts with `separator` (`[` before the first window, `,` between windows), followed by
    /// the entries' JSON joined by commas, and by `closing` when this window ends the plan (so a
    /// live response of a few entries is one write): the advanced cursor, and the buffer (nil
    /// once the plan is read).
    static func readWindow(
        _ current: ShapeLogEntryCursor,
        bytes: Int,
        after separator: UInt8,
        closing: String
    ) async throws -> (ShapeLogEntryCursor, ByteBuffer?) {
        try await DiskIO.run { () throws -> (ShapeLogEntryCursor, ByteBuffer?) in
            var copy = current
            var capacity = bytes
            while true {
                var buffer = ByteBufferAllocator().buffer(capacity: capacity + 1 + closing.utf8.count)
                var outcome: ShapeLogEntryCursor.JoinedWindow?
                try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity + 1) { free in
                    outcome = try copy.nextJoined(into: UnsafeMutableRawBufferPointer(rebasing: free[1..<(capacity + 1)]))
                    guard case .joined(let joined, _) = outcome else { return 0 }
                    free[0] = separator
                    return 1 + joined
                }
                switch outcome {
                case nil:
                    return (copy, nil)
                case .joined:
                    if copy.isFinished {
                        try copy.checkComplete()
                        buffer.writeString(closing)
                    }
                    return (copy, buffer)
                case .needsCapacity(let needed):
                    capacity = needed
                }
            }
        }
    }

    /// Reads the cursor's next window of about `maxBytes` on the I/O pool.
    static func nextBatch(_ cursor: inout ShapeLogEntryCursor, maxBytes: Int) async throws -> [ArraySlice<UInt8>]? {
        let current = cursor
        let (advanced, batch) = try await DiskIO.run {
            var copy = current
            let batch = try copy.next(maxBytes: maxBytes)
            return (copy, batch)
        }
        cursor = advanced
        return batch
    }

    /// `offset=now` (protocol.md §7.5 step 6): the current end of the log, no entries.
    private func nowResponse() async throws -> Response {
        let reader = self.reader
        let state = try await DiskIO.run { try reader.loadState() }
        var end = LogOffset.snapshotEnd
        if let state, state.snapshot.isComplete, let latest = state.changes.latest { end = latest }
        return noChangeResponse(end: end, fallbackLSN: state?.lastChangeLSN)
    }

    /// `[up-to-date]` with `electric-has-data: false` and a never-revalidating ETag.
    private func noChangeResponse(end: LogOffset, fallbackLSN: LSN?) -> Response {
        let lsn = notifier.lastSeenLSN ?? fallbackLSN ?? .zero
        let etag = ShapeResponseHeaders.etag(
            handle: shape.handle,
            requestOffset: request.offset.text,
            responseOffset: end,
            monotonic: MonotonicTag.next()
        )
        return Response(
            status: .ok,
            headers: headers(end: end, etag: etag, upToDate: true, hasData: false, status: .ok),
            body: ErrorResponses.body("[" + Self.upToDateMessage(lsn) + "]")
        )
    }

    /// `global_last_seen_lsn` (protocol.md §4.6): a live response's own end; otherwise the
    /// replication stream's position, never below the response's end.
    private func globalLSN(for plan: ShapeLogPlan) -> LSN {
        let endLSN = plan.end.tx > 0 && !plan.end.isInfinite ? LSN(UInt64(plan.end.tx)) : nil
        if request.live, let endLSN { return endLSN }
        return max(notifier.lastSeenLSN ?? .zero, endLSN ?? plan.lastChangeLSN ?? .zero)
    }

    static func upToDateMessage(_ lsn: LSN) -> String {
        "{\"headers\":{\"control\":\"up-to-date\",\"global_last_seen_lsn\":\"\(lsn.decimal)\"}}"
    }

    /// The headers of a 200/304 shape response (protocol.md §5.1).
    func headers(end: LogOffset, etag: String, upToDate: Bool, hasData: Bool, status: HTTPResponse.Status) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = JSONText.contentType
        headers[.electricHandle] = shape.handle
        headers[.electricOffset] = end.description
        headers[.eTag] = etag
        headers[.cacheControl] = ShapeResponseHeaders.cacheControl(ShapeResponseHeaders.successKind(for: request))
        headers[.electricHasData] = hasData ? "true" : "false"
        if upToDate { headers[.electricUpToDate] = "" }
        if request.live {
            headers[.electricCursor] = ShapeResponseHeaders.nextCursor(
                unixSeconds: Int64(Date().timeIntervalSince1970),
                interval: routes.configuration.longPollTimeoutSeconds,
                previous: request.cursor,
                jitter: { Int64.random(in: 1...3600) }
            )
        } else if status == .ok {
            headers[.electricSchema] = shape.metadata.schemaHeader
        }
        return headers
    }
}

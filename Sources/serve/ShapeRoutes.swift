import ConduitCore
import Hummingbird
import Logging

/// How serve asks router for a shape's handle (``RouterClient`` in production).
protocol ShapeResolver: Sendable {
    func resolveShape(_ definition: ShapeDefinition) async throws -> ShapeResolution
    /// A request for `handle` is being served (for router's least-recently-used eviction).
    func noteServed(_ handle: String)
    /// Runs a subset snapshot of `handle` (router queries PostgreSQL; serve never does).
    func subsetSnapshot(handle: String, subset: SubsetRequest) async throws -> SubsetOutcome
    /// Removes a shape (`DELETE /v1/shape`).
    func deleteShape(definition: ShapeDefinition?, handle: String?) async throws -> DeleteOutcome
}

extension ShapeResolver {
    func noteServed(_ handle: String) {}
    func subsetSnapshot(handle: String, subset: SubsetRequest) async throws -> SubsetOutcome { throw RouterUnavailableError() }
    func deleteShape(definition: ShapeDefinition?, handle: String?) async throws -> DeleteOutcome { throw RouterUnavailableError() }
}

extension RouterClient: ShapeResolver {
    func resolveShape(_ definition: ShapeDefinition) async throws -> ShapeResolution {
        try await getOrCreateShape(definition, timeout: .seconds(30))
    }

    /// Longer than router's statement timeout for subsets (`CONDUIT_SUBSET_TIMEOUT_MS`), so a
    /// slow query is answered by PostgreSQL's cancellation rather than cut off here.
    func subsetSnapshot(handle: String, subset: SubsetRequest) async throws -> SubsetOutcome {
        try await subsetSnapshot(handle: handle, subset: subset, timeout: .seconds(60))
    }

    func deleteShape(definition: ShapeDefinition?, handle: String?) async throws -> DeleteOutcome {
        try await deleteShape(definition: definition, handle: handle, timeout: .seconds(30))
    }
}

/// `GET`/`HEAD /v1/shape`: validation, handle resolution (protocol.md §8.6), then serving the log.
///
/// A class, like ``ShapeSession``: every async frame of a request and every parked long-poll's
/// callback holds it, so a reference (not 360 bytes of configuration) is what each carries
/// (issue 11: idle live connections).
final class ShapeRoutes: Sendable {
    let configuration: ServeConfiguration
    let catalog: ShapeCatalog
    let notifier: LiveNotifier
    let resolver: any ShapeResolver
    /// Shape lookups and creations waiting on router (``ServeConfiguration/maxShapeCreations``).
    let creations: ConcurrencyLimit
    /// How much each step of a data response reads (``ResponseWindows``).
    let windows: ResponseWindows
    let clock = ContinuousClock()

    /// `windows` defaults to ``ResponseWindows`` of the configured window and its default budget.
    init(
        configuration: ServeConfiguration, catalog: ShapeCatalog, notifier: LiveNotifier, resolver: any ShapeResolver,
        windows: ResponseWindows? = nil
    ) {
        self.configuration = configuration
        self.catalog = catalog
        self.notifier = notifier
        self.resolver = resolver
        self.creations = ConcurrencyLimit(limit: configuration.maxShapeCreations)
        self.windows = windows ?? ResponseWindows(base: configuration.responseWindowBytes)
    }

    /// A shape that may be served for the request.
    struct ResolvedShape: Sendable {
        var handle: String
        var metadata: ShapeMetadata
    }

    enum Resolution: Sendable {
        case shape(ResolvedShape)
        case response(Response)
    }

    /// Serves `request` up to its response or a live request's first wait; a waiting request
    /// ends when the client closes its connection, which stays open for the next request
    /// otherwise (HTTP/1.1 keep-alive).
    func get(_ request: Request, connection: ConnectionWatch, logger: Logger) async -> ShapeStep {
        await step(
            query: request.uri.query,
            ifNoneMatch: request.headers[values: .ifNoneMatch],
            logger: logger,
            connection: connection
        )
    }

    /// Drives `step` to its response and calls `answer` with it. A live request that must wait
    /// is parked in ``LiveNotifier`` with no task of its own; each wake-up goes on in a new
    /// short-lived task (see ``LongPoll``). `answer` runs in the task that produced the response.
    func drive(_ step: ShapeStep, answer: @escaping @Sendable (Response) async -> Void) async {
        switch step {
        case .response(let response):
            await answer(response)
        case .waiting(let poll):
            let parked = poll.park { wake in
                Task {
                    var poll = poll
                    let progress = await poll.progress(after: wake)
                    await self.drive(await self.proceed(poll, after: progress), answer: answer)
                }
            }
            if !parked {
                await drive(await proceed(poll, after: .success(.deadlinePassed)), answer: answer)
            }
        }
    }

    /// Serves a shape request with raw query `query` up to its response or its first wait.
    /// - Parameter connection: the client's connection; a live request's wait ends when it closes.
    /// - Parameter bodyPairs: a POST body's subset parameters (``SubsetParameters/pairs(fromBody:)``).
    func step(
        query: String?,
        bodyPairs: [(key: String, value: String)] = [],
        ifNoneMatch: [String],
        logger: Logger,
        connection: ConnectionWatch? = nil
    ) async -> ShapeStep {
        let shapeRequest: ShapeRequest
        do {
            shapeRequest = try ShapeRequest.parse(QueryString.parse(query) + bodyPairs)
        } catch {
            return .response(ErrorResponses.invalidRequest(error.errors))
        }
        let resolution: Resolution
        do {
            resolution = try await resolve(shapeRequest, logger: logger)
        } catch {
            return .response(Self.failure(error, logger: logger))
        }
        switch resolution {
        case .response(let response):
            return .response(response)
        case .shape(let shape):
            resolver.noteServed(shape.handle)
            var logger = logger
            logger[metadataKey: "shape.handle"] = "\(shape.handle)"
            let session = ShapeSession(routes: self, request: shapeRequest, shape: shape, logger: logger, connection: connection)
            return await settled(session) {
                if let subset = shapeRequest.subset { return .response(try await session.subsetResponse(subset)) }
                return try await session.step(ifNoneMatch: ifNoneMatch)
            }
        }
    }

    /// Goes on with a parked live request after one wait (see ``LongPoll``).
    func proceed(_ poll: LongPoll, after progress: Result<ShapeSession.Progress, any Error>) async -> ShapeStep {
        await settled(poll.session) { try await poll.session.proceed(poll, after: progress.get()) }
    }

    /// Runs `work` for `session`, turning its failures into responses: a shape log that
    /// vanished mid-read is a 409 (router deleted a dropped shape's folder), a cancelled request
    /// a 503, anything else a logged 500.
    private func settled(_ session: ShapeSession, _ work: () async throws -> ShapeStep) async -> ShapeStep {
        do {
            do {
                return try await work()
            } catch let error as ShapeLogError {
                guard await catalog.stillExists(session.shape.handle) else {
                    return .response(await conflictForRemovedShape(session.request, removedHandle: session.shape.handle))
                }
                throw error
            }
        } catch {
            return .response(Self.failure(error, logger: session.logger))
        }
    }

    private static func failure(_ error: any Error, logger: Logger) -> Response {
        if error is CancellationError {
            return ErrorResponses.message(.serviceUnavailable, "Request cancelled", retryAfter: 1)
        }
        logger.error("Shape request failed", metadata: ["error": "\(error)"])
        return ErrorResponses.internalError
    }

    /// Finds the shape to serve, or the response that replaces serving it (§8.6).
    func resolve(_ request: ShapeRequest, logger: Logger) async throws -> Resolution {
        if try await catalog.awaitsJournalReplay() {
            return .response(ErrorResponses.storageRecovering)
        }
        if let handle = request.handle, !notifier.isRemoved(handle),
            let metadata = try await catalog.metadata(for: handle),
            catalog.serves(request.definition, from: metadata)
        {
            return .shape(ResolvedShape(handle: handle, metadata: metadata))
        }
        let resolution: ShapeResolution
        do {
            guard let answer = try await resolveThroughRouter(request.definition) else {
                logger.debug("Too many shape requests waiting on router", metadata: ["serve.limit": "\(creations.limit)"])
                return .response(ErrorResponses.shapeCreationsExceeded(limit: creations.limit))
            }
            resolution = answer
        } catch {
            logger.warning("Router did not answer a shape request", metadata: ["error": "\(error)"])
            return .response(ErrorResponses.routerUnavailable)
        }
        switch resolution {
        case .rejected(let rejection):
            return .response(ErrorResponses.rejected(rejection))
        case .handle(let routerHandle):
            if let requested = request.handle, requested != routerHandle || notifier.isRemoved(requested) {
                return .response(ErrorResponses.mustRefetch(newHandle: routerHandle))
            }
            guard let metadata = try await catalog.metadata(for: routerHandle) else {
                logger.warning("Router announced a shape whose definition is not on disk", metadata: ["shape.handle": "\(routerHandle)"])
                return .response(ErrorResponses.message(.serviceUnavailable, "Failed to create shape, please retry", retryAfter: 1))
            }
            catalog.confirm(request.definition, for: routerHandle)
            return .shape(ResolvedShape(handle: routerHandle, metadata: metadata))
        }
    }

    /// Asks router, unless ``creations`` are all taken (then nil: answer 503 rather than queue).
    func resolveThroughRouter(_ definition: ShapeDefinition) async throws -> ShapeResolution? {
        try await creations.withPlace { try await resolver.resolveShape(definition) }
    }

    /// The 409 for a shape that disappeared while being served: points at the definition's
    /// current handle when router knows one.
    func conflictForRemovedShape(_ request: ShapeRequest, removedHandle: String) async -> Response {
        catalog.evict(removedHandle)
        switch try? await resolveThroughRouter(request.definition) {
        case .handle(let handle)? where handle != removedHandle:
            return ErrorResponses.mustRefetch(newHandle: handle)
        case .rejected(.invalid(let field, let message))?:
            // PostgreSQL refused the definition while copying its snapshot: say so, rather than
            // send the client round a refetch loop.
            return ErrorResponses.rejected(.invalid(field: field, message: message))
        default:
            return ErrorResponses.mustRefetch(newHandle: nil)
        }
    }
}

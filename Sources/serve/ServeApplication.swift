import ConduitCore
import Synchronization
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// serve assembled: the router connection, the notifier, the routes and the HTTP server.
struct ServeApplication: Sendable {
    let server: ServeServer
    /// The connection to router (production only; tests resolve shapes in-process).
    var routerConnection: RouterClient?
    let notifier: LiveNotifier
    /// Open connections against ``ServeConfiguration/maxConnections``.
    let connections: OpenConnections
    let configuration: ServeConfiguration

    /// Production wiring: shapes are resolved through router's socket in the storage directory.
    static func connectedToRouter(configuration: ServeConfiguration, logger: Logger) -> ServeApplication {
        let layout = StorageLayout(root: configuration.storageDirectory)
        let notifier = LiveNotifier()
        let catalog = ShapeCatalog(layout: layout)
        let routerClient = RouterClient(
            address: configuration.routerAddress ?? .unix(path: layout.routerSocket),
            logger: logger,
            onConnectionChange: { connected in
                notifier.routerConnectionChanged(connected)
                logger.info(connected ? "Connected to router" : "Disconnected from router")
            },
            onNotification: { message in
                if case .shapeRemoved(let handle) = message { catalog.evict(handle) }
                notifier.receive(message)
            }
        )
        let routes = ShapeRoutes(configuration: configuration, catalog: catalog, notifier: notifier, resolver: routerClient)
        var application = ServeApplication(routes: routes, logger: logger)
        application.routerConnection = routerClient
        return application
    }

    /// - Parameter onListening: receives the bound port (tests bind port 0).
    init(routes: ShapeRoutes, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        let configuration = routes.configuration
        let notifier = routes.notifier
        let responder = ServeResponder(shapes: routes, notifier: notifier, logger: logger)
        let dates = HTTPDate()
        let connections = OpenConnections(limit: configuration.maxConnections)
        let childChannel = ServeChildChannel(limits: configuration.limits, connections: connections) { request, connection, reply in
            responder.respond(to: request, connection: connection) { response in
                var response = response
                response.headers[.date] = dates.current
                await reply(response)
            }
        }
        let listener: ServeServer.Listener =
            configuration.inheritedSocket.map { .inherited(descriptor: $0) }
            ?? .address(host: configuration.host, port: configuration.port, reusePort: configuration.reusePort)
        self.server = ServeServer(
            listener: listener,
            childChannel: childChannel,
            shutdownTimeout: configuration.shutdownTimeout,
            logger: logger,
            onListening: onListening,
            onShutdown: { notifier.beginShutdown() }
        )
        self.notifier = notifier
        self.connections = connections
        self.configuration = configuration
    }

    /// The services serve runs, in start order: the router connection, the connection gauge,
    /// then the server, which graceful shutdown stops first (the router connection stays up
    /// while responses in flight finish).
    var services: [any Service] {
        let connections = self.connections
        let gauge = Gauge(label: ConduitMetrics.httpConnections)
        let trimmer = Mutex(MemoryTrimmer())
        let sampler = PeriodicService(every: .seconds(1)) { _ in
            let count = connections.count
            gauge.record(Double(count))
            _ = trimmer.withLock { $0.sample(openConnections: count) }
        }
        return (routerConnection.map { [$0] } ?? []) + [sampler, server]
    }

    /// How long graceful shutdown may take in all: the server bounds its own stop by closing
    /// what is left after the shutdown timeout; the group's bound is only a backstop a few
    /// seconds later (it cancels the server).
    var gracefulShutdownBound: Duration { configuration.shutdownTimeout + .seconds(5) }

    /// The service group that runs ``services``; `signals` start its graceful stop (tests pass
    /// none and call `triggerGracefulShutdown()`). Production goes through ``ProcessStartup``,
    /// which builds the same group.
    func serviceGroup(logger: Logger, signals: [UnixSignal]) -> ServiceGroup {
        ProcessStartup.serviceGroup(services: services, bound: gracefulShutdownBound, signals: signals, logger: logger)
    }
}

/// Dispatches on the normalized path (protocol.md §1) and adds the headers every response
/// carries: `electric-server`, `x-request-id` and CORS (§5.1).
struct ServeResponder: Sendable {
    let shapes: ShapeRoutes
    let notifier: LiveNotifier
    let logger: Logger

    /// Answers `request`: `reply` gets its response, counted and timed by route and status
    /// (``ServeMetrics``), in a short-lived task that then writes it.
    ///
    /// Nothing of the request stays in a task while a live request waits: the work runs in
    /// tasks that end at each wait, and the wait is a callback (``ShapeRoutes/drive(_:answer:)``),
    /// so a parked long-poll costs its connection's pipeline and a table entry (issue 11).
    func respond(to request: Request, connection: ConnectionWatch, reply: @escaping @Sendable (Response) async -> Void) {
        let started = ContinuousClock.now
        let requestID = Self.makeRequestID()
        var logger = self.logger
        logger[metadataKey: LogKey.requestID] = "\(requestID)"
        let path = Self.normalize(request.uri.path)
        let context = logger
        let deliver: @Sendable (Response) async -> Void = { response in
            ServeMetrics.record(route: ServeMetrics.route(of: request), status: response.status.code, duration: started.duration(to: .now))
            await reply(response)
        }
        if path == "/v1/shape" || path == "/v1/status", request.method != .options, !isAuthorized(request) {
            // Sent before CORS headers are added, as Electric does (protocol.md §1, §2).
            var response = ErrorResponses.unauthorized
            response.headers[.electricServer] = ShapeResponseHeaders.serverHeader
            response.headers[.requestID] = requestID
            Task { await deliver(response) }
            return
        }
        Task {
            let first = await self.dispatch(request, path: path, connection: connection, logger: context)
            await self.shapes.drive(first) { answer in
                await deliver(self.finish(answer, to: request, path: path, requestID: requestID, logger: context))
            }
        }
    }

    /// Routes `request` to its handler: a response, or a live shape request's first wait.
    private func dispatch(_ request: Request, path: String, connection: ConnectionWatch, logger: Logger) async -> ShapeStep {
        switch (path, request.method) {
        case ("/v1/shape", .get), ("/v1/shape", .head):
            return await shapes.get(request, connection: connection, logger: logger)
        case ("/v1/shape", .options):
            return .response(Self.preflight(request))
        case ("/v1/shape", .post):
            return await shapes.post(request, connection: connection, logger: logger)
        case ("/v1/shape", .delete):
            return .response(await shapes.delete(request, logger: logger))
        case ("/v1/shape", _):
            var response = ErrorResponses.message(.methodNotAllowed, "\(request.method.rawValue) not allowed")
            response.headers[.cacheControl] = ShapeResponseHeaders.cacheControl(.nonGetMethod)
            response.headers[.surrogateControl] = nil
            return .response(response)
        case ("/v1/health", .get), ("/v1/health", .head):
            return .response(health())
        case ("/v1/status", .get):
            return .response(await status())
        case ("/", .get), ("/", .head):
            return .response(Response(status: .ok))
        default:
            return .response(Response(status: .notFound, body: ErrorResponses.body("Not found")))
        }
    }

    /// Adds the headers every response carries (and empties a HEAD response's body).
    private func finish(_ answer: Response, to request: Request, path: String, requestID: String, logger: Logger) -> Response {
        var response = answer
        if path == "/v1/shape", request.method == .head { response.body = ResponseBody() }
        if path == "/v1/shape", request.method == .post || request.method == .delete {
            // protocol.md §5.2 rule 1: every POST and DELETE response, errors included.
            response.headers[.cacheControl] = ShapeResponseHeaders.cacheControl(.nonGetMethod)
            response.headers[.surrogateControl] = nil
        }
        response.headers[.electricServer] = ShapeResponseHeaders.serverHeader
        response.headers[.requestID] = requestID
        // Stopping: the connection closes after this response; say so.
        if notifier.isShuttingDown { response.headers[.connection] = "close" }
        response.headers[.accessControlAllowOrigin] = request.headers[.origin] ?? "*"
        response.headers[.accessControlExposeHeaders] = ShapeResponseHeaders.exposedHeaders
        response.headers[.accessControlAllowMethods] =
            path == "/v1/shape" ? ShapeResponseHeaders.shapeMethods : ShapeResponseHeaders.otherMethods
        logger.debug(
            "Request served",
            metadata: [
                LogKey.httpMethod: "\(request.method.rawValue)", LogKey.httpPath: "\(path)", LogKey.httpStatus: "\(response.status.code)",
            ]
        )
        return response
    }

    /// True when no secret is configured, or the request's `secret` (or deprecated `api_secret`)
    /// parameter equals it or, during a rotation, `CONDUIT_SECRET_PREVIOUS`.
    func isAuthorized(_ request: Request) -> Bool {
        guard let secret = shapes.configuration.secret else { return true }
        let pairs = QueryString.parse(request.uri.query)
        let given = pairs.last(where: { $0.key == "secret" })?.value ?? pairs.last(where: { $0.key == "api_secret" })?.value
        guard let given else { return false }
        // Both are always compared, so timing does not tell which one matched.
        let current = Self.constantTimeEqual(given, secret)
        let previous = shapes.configuration.previousSecret.map { Self.constantTimeEqual(given, $0) } ?? false
        return current || previous
    }

    /// Compares without an early exit, so response timing does not reveal the secret's prefix.
    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        var difference = UInt8(left.count == right.count ? 0 : 1)
        for index in 0..<max(left.count, right.count) {
            difference |= (index < left.count ? left[index] : 0) ^ (index < right.count ? right[index] : 0)
        }
        return difference == 0
    }

    /// `/v1/shape/`, `/v1//shape` and `/v1/%73hape` all mean `/v1/shape`.
    static func normalize(_ path: String) -> String {
        let decoded = QueryString.decodePath(path)
        return "/" + decoded.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }

    /// `OPTIONS /v1/shape` (protocol.md §9.3): 204, no cache-control.
    static func preflight(_ request: Request) -> Response {
        var headers = HTTPFields()
        headers[.accessControlMaxAge] = "86400"
        headers[.connection] = "keep-alive"
        let requested = request.headers[values: .accessControlRequestHeaders]
        if let allowed = ShapeResponseHeaders.allowedPreflightHeaders(requested) {
            headers[.accessControlAllowHeaders] = allowed
        }
        return Response(status: .noContent, headers: headers)
    }

    /// `GET /v1/health` (protocol.md §9.1): see ``HealthCheck``.
    func health() -> Response {
        HealthCheck.response(
            HealthCheck.status(
                routerReady: notifier.isRouterReady, routerWasReady: notifier.wasRouterReady, shuttingDown: notifier.isShuttingDown))
    }

    /// `GET /v1/status`: the pipeline at a glance (``PipelineStatus``, as `router status --json`
    /// prints it) plus this instance. Read from the storage directory on NIO's thread pool.
    func status() async -> Response {
        let configuration = shapes.configuration
        let layout = StorageLayout(root: configuration.storageDirectory)
        let routerConnected = notifier.isRouterConnected
        var headers = HTTPFields()
        headers[.contentType] = JSONText.contentType
        headers[.cacheControl] = "no-cache, no-store, must-revalidate"
        do {
            let body = try await NIOThreadPool.singleton.runIfActive {
                var status = PipelineStatus.read(layout)
                status.serve = PipelineStatus.ServeInstance(
                    instance: configuration.instance, processID: getpid(), routerConnected: routerConnected)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                return try encoder.encode(status)
            }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        } catch {
            return Response(
                status: .serviceUnavailable, headers: headers, body: ErrorResponses.body("{\"message\":\"status unavailable\"}"))
        }
    }

    static func makeRequestID() -> String {
        let value = UInt64.random(in: .min ... .max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

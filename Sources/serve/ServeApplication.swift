import Hummingbird
import HummingbirdCore
import Logging
import NIOHTTP1
import ServiceLifecycle
import UnixSignals
import ConduitCore

/// serve assembled: the router connection, the notifier, the routes and the HTTP server.
struct ServeApplication: Sendable {
    let server: ServeServer
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
        return ServeApplication(routes: routes, logger: logger)
    }

    /// - Parameter onListening: receives the bound port (tests bind port 0).
    init(routes: ShapeRoutes, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        let configuration = routes.configuration
        let notifier = routes.notifier
        let responder = ServeResponder(shapes: routes, notifier: notifier, logger: logger)
        let dates = HTTPDate()
        let connections = OpenConnections(limit: configuration.maxConnections)
        let childChannel = ServeChildChannel(limits: configuration.limits, connections: connections) { request, writer, connection in
            var response = await responder.respond(to: request, connection: connection)
            response.headers[.date] = dates.current
            do {
                try await writer.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                // Hummingbird answers a parser error with a 400, which must not land in the middle
                // of this response.
                throw ResponseWriteFailed()
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

    /// Serves until SIGTERM or SIGINT, then stops within ``ServeConfiguration/shutdownTimeout``
    /// (connections still open then are closed).
    func run(logger: Logger) async throws {
        try await serviceGroup(logger: logger, signals: [.sigterm, .sigint]).run()
    }

    /// The service group that runs the server; `signals` start its graceful stop (tests pass
    /// none and call `triggerGracefulShutdown()`).
    ///
    /// The server bounds its own stop by closing what is left after the shutdown timeout. The
    /// group's bound is only a backstop a few seconds later (it cancels the server), and there
    /// is no cancellation bound: ServiceLifecycle answers an exceeded one with `fatalError`,
    /// which would turn a slow stop into a crash.
    func serviceGroup(logger: Logger, signals: [UnixSignal]) -> ServiceGroup {
        var group = ServiceGroupConfiguration(services: [server], gracefulShutdownSignals: signals, logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownTimeout + .seconds(5)
        return ServiceGroup(configuration: group)
    }
}

/// A response could not be written because the request stream failed mid-way.
struct ResponseWriteFailed: Error {}

/// Dispatches on the normalized path (protocol.md §1) and adds the headers every response
/// carries: `electric-server`, `x-request-id` and CORS (§5.1).
struct ServeResponder: Sendable {
    let shapes: ShapeRoutes
    let notifier: LiveNotifier
    let logger: Logger

    /// The response to `request`; `connection` cancels a live request whose client goes away.
    func respond(to request: Request, connection: ConnectionWatch) async -> Response {
        let requestID = Self.makeRequestID()
        var logger = self.logger
        logger[metadataKey: "serve.request_id"] = "\(requestID)"
        let path = Self.normalize(request.uri.path)
        if path == "/v1/shape", request.method != .options, !isAuthorized(request) {
            // Sent before CORS headers are added, as Electric does (protocol.md §1, §2).
            var response = ErrorResponses.unauthorized
            response.headers[.electricServer] = ShapeResponseHeaders.serverHeader
            response.headers[.requestID] = requestID
            return response
        }
        var response: Response
        switch (path, request.method) {
        case ("/v1/shape", .get):
            response = await shapes.get(request, connection: connection, logger: logger)
        case ("/v1/shape", .head):
            response = await shapes.get(request, connection: connection, logger: logger)
            response.body = ResponseBody()
        case ("/v1/shape", .options):
            response = Self.preflight(request)
        case ("/v1/shape", .post):
            response = await shapes.post(request, connection: connection, logger: logger)
        case ("/v1/shape", .delete):
            response = await shapes.delete(request, logger: logger)
        case ("/v1/shape", _):
            response = ErrorResponses.message(.methodNotAllowed, "\(request.method.rawValue) not allowed")
            response.headers[.cacheControl] = ShapeResponseHeaders.cacheControl(.nonGetMethod)
            response.headers[.surrogateControl] = nil
        case ("/v1/health", .get), ("/v1/health", .head):
            response = health()
        case ("/", .get), ("/", .head):
            response = Response(status: .ok)
        default:
            response = Response(status: .notFound, body: ErrorResponses.body("Not found"))
        }
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
            metadata: ["http.method": "\(request.method.rawValue)", "http.path": "\(path)", "http.status": "\(response.status.code)"]
        )
        return response
    }

    /// True when no secret is configured, or the request's `secret` (or deprecated `api_secret`)
    /// parameter equals it.
    func isAuthorized(_ request: Request) -> Bool {
        guard let secret = shapes.configuration.secret else { return true }
        let pairs = QueryString.parse(request.uri.query)
        let given = pairs.last(where: { $0.key == "secret" })?.value ?? pairs.last(where: { $0.key == "api_secret" })?.value
        return given.map { Self.constantTimeEqual($0, secret) } ?? false
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

    static func makeRequestID() -> String {
        let value = UInt64.random(in: .min ... .max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

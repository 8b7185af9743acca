import Hummingbird

/// `GET /v1/health` (protocol.md §9.1): `active` only when a shape request would be answered now.
///
/// router listens only after loading its shapes and says `ready` first on every connection, so
/// serve is active from that message until the connection drops. Before router was ever ready the
/// answer is 202 `starting`; after losing it (a router restart loading many shapes, a network
/// problem on the TCP channel) it is 503 with `retry-after`, so a load balancer takes this
/// instance out until router is back; while serve stops, 503 as well.
enum HealthCheck {
    enum Status: Equatable {
        case active
        case starting
        case routerUnavailable
        case stopping
    }

    static func status(routerReady: Bool, routerWasReady: Bool, shuttingDown: Bool) -> Status {
        if shuttingDown { return .stopping }
        if routerReady { return .active }
        return routerWasReady ? .routerUnavailable : .starting
    }

    static func response(_ status: Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = JSONText.contentType
        headers[.cacheControl] = "no-cache, no-store, must-revalidate"
        let code: HTTPResponse.Status
        let body: String
        switch status {
        case .active:
            (code, body) = (.ok, "{\"status\":\"active\"}")
        case .starting:
            (code, body) = (.accepted, "{\"status\":\"starting\"}")
        case .routerUnavailable:
            (code, body) = (.serviceUnavailable, "{\"status\":\"waiting\",\"message\":\"router is not reachable\"}")
            headers[.retryAfter] = "1"
        case .stopping:
            (code, body) = (.serviceUnavailable, "{\"status\":\"stopping\"}")
            headers[.retryAfter] = "1"
        }
        return Response(status: code, headers: headers, body: ErrorResponses.body(body))
    }
}

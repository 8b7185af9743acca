import NIOCore

/// A complete HTTP/1.1 error response written as raw bytes by the connection's own handlers,
/// for requests rejected before they are decoded (too large, too slow, too many
/// connections). Always `connection: close`: the request's framing cannot be trusted any more.
struct RejectionResponse: Sendable, Equatable {
    var status: Int
    var reason: String
    /// The JSON body.
    var body: String
    var retryAfter: Int?

    static func uriTooLong(limit: Int) -> Self {
        Self(status: 414, reason: "URI Too Long", body: message("URI too long: the request target exceeds \(limit) bytes"))
    }

    static func headerFieldsTooLarge(limit: Int) -> Self {
        Self(
            status: 431,
            reason: "Request Header Fields Too Large",
            body: message("Request header fields too large: the header block exceeds \(limit) bytes")
        )
    }

    /// protocol.md §3.4 and §6 spell this body with `error`, as Electric's POST body check does.
    static func bodyTooLarge(limit: Int) -> Self {
        Self(
            status: 413,
            reason: "Content Too Large",
            body: "{\"error\":\"Request body too large\",\"limit\":\(limit)}"
        )
    }

    static var requestTimeout: Self {
        Self(status: 408, reason: "Request Timeout", body: message("Request head not received in time"))
    }

    /// Sent to connections over ``ServeConfiguration/maxConnections``; `retry-after` as for
    /// admission control (protocol.md §5.6).
    static func tooManyConnections(limit: Int) -> Self {
        Self(
            status: 503,
            reason: "Service Unavailable",
            body: "{\"code\":\"concurrent_connection_limit_exceeded\","
                + "\"message\":\"Concurrent connection limit exceeded (limit: \(limit)), please retry\"}",
            retryAfter: ErrorResponses.admissionRetryAfter()
        )
    }

    private static func message(_ text: String) -> String { "{\"message\":" + JSONText.string(text) + "}" }

    /// The bytes on the wire.
    var bytes: ByteBuffer {
        var head = "HTTP/1.1 \(status) \(reason)\r\n"
        head += "content-type: \(JSONText.contentType)\r\n"
        head += "content-length: \(body.utf8.count)\r\n"
        head += "cache-control: no-store\r\n"
        head += "connection: close\r\n"
        head += "access-control-allow-origin: *\r\n"
        head += "electric-server: \(ShapeResponseHeaders.serverHeader)\r\n"
        if let retryAfter { head += "retry-after: \(retryAfter)\r\n" }
        return ByteBuffer(string: head + "\r\n" + body)
    }
}

import ConduitCore
import Hummingbird

/// The error bodies of protocol.md §6, with the headers §5.2 prescribes for them.
enum ErrorResponses {
    /// 400 `{"message":"Invalid request","errors":{…}}`. Fields named `subset.<name>` go into a
    /// nested `"subset"` object (protocol.md §3.4).
    static func invalidRequest(_ errors: [String: [String]], status: HTTPResponse.Status = .badRequest) -> Response {
        func list(_ messages: [String]) -> String { "[" + messages.map(JSONText.string).joined(separator: ",") + "]" }
        var fields = errors.keys.filter { !$0.hasPrefix("subset.") }.sorted().map { JSONText.string($0) + ":" + list(errors[$0]!) }
        let nested = errors.keys.filter { $0.hasPrefix("subset.") }.sorted().map { field in
            JSONText.string(String(field.dropFirst(7))) + ":" + list(errors[field]!)
        }
        if !nested.isEmpty { fields.append("\"subset\":{" + nested.joined(separator: ",") + "}") }
        return json(status, "{\"message\":\"Invalid request\",\"errors\":{" + fields.joined(separator: ",") + "}}")
    }

    /// A POST body that is not a JSON object (protocol.md §3.4): Electric's `{"error":…}` form.
    static func invalidBody(_ problem: SubsetParameters.BodyError) -> Response {
        var text = "{\"error\":" + JSONText.string(problem.error)
        if let details = problem.details { text += ",\"details\":" + JSONText.string(details) }
        return json(.badRequest, text + "}")
    }

    /// `{"message":"<text>"}` with `no-store` caching and an optional `retry-after`.
    static func message(_ status: HTTPResponse.Status, _ text: String, retryAfter: Int? = nil) -> Response {
        var response = json(status, "{\"message\":" + JSONText.string(text) + "}")
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    /// router is down or did not answer (protocol.md §3.3).
    static var routerUnavailable: Response {
        message(
            .serviceUnavailable,
            "Cannot connect to the database to verify the shape. Please try again later.",
            retryAfter: 1
        )
    }

    /// Admission control (protocol.md §5.6, §6): too many shape lookups or creations are waiting
    /// on router. Electric's body and headers, so clients back off the same way.
    static func shapeCreationsExceeded(limit: Int) -> Response {
        var response = json(
            .serviceUnavailable,
            "{\"code\":\"concurrent_request_limit_exceeded\","
                + "\"message\":\"Concurrent shape creation limit exceeded (limit: \(limit)), please retry\"}"
        )
        response.headers[.retryAfter] = String(admissionRetryAfter())
        response.headers[.electricInternalKnownError] = "true"
        return response
    }

    /// Electric's admission-control `retry-after`: 5 + 1…5 seconds, so refused clients do not
    /// all come back in the same second.
    static func admissionRetryAfter() -> Int { 5 + Int.random(in: 1...5) }

    /// Shape logs are not readable yet: router has to replay its commit journal after the
    /// machine restarted (``ShapeCatalog/awaitsJournalReplay()``).
    static var storageRecovering: Response {
        message(.serviceUnavailable, "Storage is being recovered after a restart of the machine, please retry", retryAfter: 1)
    }

    /// A request that must wait for data while serve is stopping: another instance can answer it.
    static var shuttingDown: Response { message(.serviceUnavailable, "Server is shutting down", retryAfter: 1) }

    /// The answer to a shape request router refused: 400 naming the parameter, or 503 with
    /// `retry-after`.
    static func rejected(_ rejection: ShapeRejection) -> Response {
        switch rejection {
        case .invalid(let field?, let text):
            return invalidRequest([field: [text]], status: .badRequest)
        case .invalid(nil, let text):
            return message(.badRequest, text)
        case .unavailable(let text, let seconds):
            return message(.serviceUnavailable, text, retryAfter: seconds)
        case .subsetQueryFailed(let text):
            // A string, not a list, as Electric sends PostgreSQL's message (protocol.md §3.4).
            return json(.badRequest, "{\"message\":\"Invalid request\",\"errors\":{\"subset\":{\"where\":" + JSONText.string(text) + "}}}")
        }
    }

    /// 409 `[{"headers":{"control":"must-refetch"}}]` pointing at `newHandle` (protocol.md §8.6).
    static func mustRefetch(newHandle: String?) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = JSONText.contentType
        headers[.cacheControl] = ShapeResponseHeaders.cacheControl(.conflict(hasNewHandle: newHandle != nil))
        if let newHandle {
            headers[.electricHandle] = newHandle
            headers[.eTag] = "\"\(newHandle)::\""
        }
        return Response(status: .conflict, headers: headers, body: body("[{\"headers\":{\"control\":\"must-refetch\"}}]"))
    }

    /// 401 for a missing or wrong secret (protocol.md §2): no caching headers, no CORS.
    static var unauthorized: Response {
        var headers = HTTPFields()
        headers[.contentType] = JSONText.contentType
        return Response(status: .unauthorized, headers: headers, body: body("{\"message\":\"Unauthorized - Invalid API secret\"}"))
    }

    /// 500 that never leaks details.
    static var internalError: Response { json(.internalServerError, "{\"error\":\"Internal server error\"}") }

    /// A JSON error body with `cache-control: no-store` and `surrogate-control: no-store`.
    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = JSONText.contentType
        headers[.cacheControl] = ShapeResponseHeaders.cacheControl(.error)
        headers[.surrogateControl] = "no-store"
        return Response(status: status, headers: headers, body: body(text))
    }

    static func body(_ text: String) -> ResponseBody {
        ResponseBody(byteBuffer: ByteBuffer(string: text))
    }
}

/// Minimal JSON text for serve's own small messages (entries themselves are stored pre-rendered).
enum JSONText {
    static let contentType = "application/json; charset=utf-8"

    /// `text` as a JSON string literal, quotes included.
    static func string(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

extension HTTPFields.Element.Name {
    static let electricHandle = Self("electric-handle")!
    static let electricOffset = Self("electric-offset")!
    static let electricSchema = Self("electric-schema")!
    static let electricUpToDate = Self("electric-up-to-date")!
    static let electricCursor = Self("electric-cursor")!
    static let electricHasData = Self("electric-has-data")!
    static let electricServer = Self("electric-server")!
    static let surrogateControl = Self("surrogate-control")!
    static let requestID = Self("x-request-id")!
    static let electricInternalKnownError = Self("electric-internal-known-error")!
    static let electricSnapshot = Self("electric-snapshot")!
    static let xAccelBuffering = Self("x-accel-buffering")!
}

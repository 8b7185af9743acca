import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An HTTP response as a test sees it: status, headers (case-insensitive) and raw body bytes.
struct HTTPResponse: Sendable, CustomStringConvertible {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    /// The body as UTF-8 text.
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed with `JSONSerialization` (arrays, dictionaries, `NSNull` for null).
    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
    }

    var description: String {
        let headerLines = headers.fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
        let shown = body.count > 2000 ? String(decoding: body.prefix(2000), as: UTF8.self) + "…" : text
        return "HTTP \(status)\n\(headerLines)\n\n\(shown)"
    }
}

/// Response header fields with case-insensitive lookup (`headers["Electric-Offset"]`).
struct HTTPHeaders: Sendable {
    /// Every field, names lower-cased, in no particular order.
    var fields: [(name: String, value: String)]

    init(_ fields: [(name: String, value: String)]) {
        self.fields = fields.map { (name: $0.name.lowercased(), value: $0.value) }
    }

    /// The value of `name` (matched case-insensitively); several fields are joined with ", ".
    /// A present header with an empty value (`electric-up-to-date:`) is `""`, not nil.
    subscript(name: String) -> String? {
        let wanted = name.lowercased()
        let values = fields.filter { $0.name == wanted }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// True when a field named `name` is present (with any value, including empty).
    func contains(_ name: String) -> Bool { self[name] != nil }
}

/// A small HTTP client for tests on top of `URLSession` (FoundationNetworking on Linux).
///
/// Caching is off (Conduit sends long `cache-control` lifetimes that a client cache would honour)
/// and requests time out after 60 s by default, comfortably longer than a 20 s long-poll.
struct HTTPClient: Sendable {
    /// For example `http://127.0.0.1:3000`.
    let baseURL: String

    /// One session for every client in the test process (sessions are never invalidated, so one
    /// per client would leak a little per test).
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.timeoutIntervalForRequest = 60
        configuration.timeoutIntervalForResource = 120
        configuration.httpMaximumConnectionsPerHost = 64
        return URLSession(configuration: configuration)
    }()

    init(baseURL: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    /// `http://127.0.0.1:<port>`.
    init(port: Int) {
        self.init(baseURL: "http://127.0.0.1:\(port)")
    }

    /// GET `path` (which may carry a query string, e.g. from ``query(_:)``).
    func get(_ path: String, headers: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> HTTPResponse {
        try await request("GET", path, headers: headers, timeout: timeout)
    }

    /// Any method; the body is sent as is.
    func request(
        _ method: String,
        _ path: String,
        headers: [String: String] = [:],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> HTTPResponse {
        let target = baseURL + (path.hasPrefix("/") ? path : "/" + path)
        guard let url = URL(string: target) else { throw SupportError("invalid URL \(target)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        request.cachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await Self.session.data(for: request)
        } catch {
            throw SupportError("\(method) \(target) failed: \(error)")
        }
        guard let http = response as? HTTPURLResponse else { throw SupportError("\(method) \(target): not an HTTP response") }
        let fields = http.allHeaderFields.map { (name: "\($0.key)", value: "\($0.value)") }
        return HTTPResponse(status: http.statusCode, headers: HTTPHeaders(fields), body: [UInt8](data))
    }

    /// A query string from ordered pairs, every reserved character percent-encoded (so `+`, `&`,
    /// `=` and quotes inside `where` clauses survive): `?table=items&offset=-1`.
    static func query(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\(encode($0))=\(encode($1))" }.joined(separator: "&")
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func encode(_ value: String) -> String {
        let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }
}

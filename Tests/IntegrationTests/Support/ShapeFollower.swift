import Foundation

/// One change message (`insert`, `update` or `delete`) as the server sent it.
struct ShapeChange: Sendable, CustomStringConvertible {
    var operation: String
    var key: String
    var value: [String: String?]
    var oldValue: [String: String?]?
    /// All of the message's `headers` (operation, relation, lsn, op_position, txids, last, …).
    var headers: [String: JSONValue]

    /// The transaction's commit LSN (decimal string); nil for snapshot rows.
    var lsn: String? { headers["lsn"]?.stringValue }
    var opPosition: Int64? { headers["op_position"]?.intValue }
    var isLast: Bool { headers["last"]?.boolValue ?? false }

    var description: String { "\(operation) \(key) \(value)" }
}

/// A minimal client of the shape protocol, following it the way Electric's `ShapeStream` does.
///
/// Starts at `offset=-1`; follows `electric-handle` / `electric-offset` with non-live requests until
/// a response ends with `up-to-date`, then switches to `live=true` long-polls (echoing
/// `electric-cursor` as `cursor`). Changes are applied to ``rows`` (insert upserts, update merges
/// `value` into the row, delete removes); a 409 or a `must-refetch` throws everything away and
/// restarts from `-1` with the new handle. 5xx and 429 are retried after `retry-after`.
///
/// Each 2xx response is checked like the TypeScript client checks it: `electric-offset` and
/// `electric-handle` always, `electric-schema` on non-live requests, `electric-cursor` on live ones;
/// a missing header, a non-array body or a non-string column value throws.
///
/// ```swift
/// let follower = ShapeFollower(client: cluster.client, table: "items", where: "id > 1")
/// try await follower.syncUntilUpToDate()
/// try connection.execute("INSERT INTO items VALUES (3, 'c')")
/// try await follower.syncUntil { $0.rows["\"public\".\"items\"/\"3\""] != nil }
/// ```
final class ShapeFollower {
    let client: HTTPClient
    /// The shape definition's query parameters (`table`, `where`, `columns`, `params[n]`, …).
    let shapeParameters: [(String, String)]

    /// The shape's rows by key, each a column → value dictionary (nil value: SQL NULL).
    private(set) var rows: [String: [String: String?]] = [:]
    /// Every change applied since the last (re)start, in order.
    private(set) var changes: [ShapeChange] = []
    /// Control messages seen since the last (re)start (`snapshot-end`, `up-to-date`, …), as their headers.
    private(set) var controls: [[String: JSONValue]] = []
    private(set) var handle: String?
    private(set) var offset = "-1"
    private(set) var cursor: String?
    /// The raw `electric-schema` header of the last non-live response.
    private(set) var schema: String?
    /// True when the last response ended with `up-to-date`; the next request is then live.
    private(set) var isUpToDate = false
    /// `global_last_seen_lsn` of the last `up-to-date` message.
    private(set) var lastSeenLSN: String?
    /// How many times the shape was refetched from `-1` (409 or must-refetch).
    private(set) var refetchCount = 0
    private(set) var lastResponse: HTTPResponse?
    /// One line per request (`GET <path> -> <status> offset=<…>`), for failure messages.
    private(set) var requestLog: [String] = []

    /// - Parameters:
    ///   - params: values for `$1`, `$2`, … in `where` (sent as `params[1]=…`).
    ///   - extraParameters: anything else (`replica`, `log`, `secret`, …).
    init(
        client: HTTPClient,
        table: String,
        where whereClause: String? = nil,
        columns: String? = nil,
        params: [String] = [],
        extraParameters: [(String, String)] = []
    ) {
        self.client = client
        var parameters = [("table", table)]
        if let whereClause { parameters.append(("where", whereClause)) }
        if let columns { parameters.append(("columns", columns)) }
        for (index, value) in params.enumerated() { parameters.append(("params[\(index + 1)]", value)) }
        parameters += extraParameters
        shapeParameters = parameters
    }

    // MARK: - Driving the sync

    /// Requests with `live=false` until a response is up to date.
    func syncUntilUpToDate(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        repeat {
            try await step(live: false, deadline: deadline)
        } while !isUpToDate
    }

    /// Follows the shape (catching up, then live) until `predicate` holds at an up-to-date point.
    ///
    /// - Throws: ``SupportError`` with the current rows and the request log when `timeout`
    ///   passes first, or when the server breaks the protocol.
    func syncUntil(timeout: Duration = .seconds(60), _ predicate: (ShapeFollower) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(isUpToDate && predicate(self)) {
            try await step(live: isUpToDate, deadline: deadline)
        }
    }

    /// Makes one request (live when `live`, which needs a handle and an offset) and applies it.
    func step(live: Bool, deadline: ContinuousClock.Instant = .now + .seconds(60)) async throws {
        let remaining = deadline - .now
        guard remaining > .zero else { throw timeoutError() }
        let path = "/v1/shape" + HTTPClient.query(requestParameters(live: live))
        let response: HTTPResponse
        do {
            response = try await client.get(path, timeout: max(remaining, .seconds(1)))
        } catch {
            if ContinuousClock.now >= deadline { throw timeoutError() }
            throw error
        }
        requestLog.append("GET \(path) -> \(response.status) offset=\(response.headers["electric-offset"] ?? "-")")
        if let delay = try apply(response, live: live) {
            try await Task.sleep(for: min(delay, max(deadline - .now, .zero)))
        }
    }

    /// The query parameters of the next request.
    func requestParameters(live: Bool) -> [(String, String)] {
        var parameters = shapeParameters
        parameters.append(("offset", offset))
        if offset != "-1", let handle { parameters.append(("handle", handle)) }
        if live {
            parameters.append(("live", "true"))
            if let cursor { parameters.append(("cursor", cursor)) }
        }
        return parameters
    }

    // MARK: - Applying responses (no I/O: unit-testable)

    /// Applies one response to the follower's state.
    ///
    /// - Returns: a delay before the next request when the server asked to retry (5xx, 429).
    @discardableResult
    func apply(_ response: HTTPResponse, live: Bool) throws -> Duration? {
        lastResponse = response
        switch response.status {
        case 200:
            try checkHeaders(response, live: live)
            let body = try JSONValue.parse(response.body)
            guard let messages = body.arrayValue else { throw violation("the body is not a JSON array", response) }
            var upToDate = false
            for message in messages {
                if try apply(message: message, response: response) == .refetch { return nil }
                upToDate = message["headers"]?["control"]?.stringValue == "up-to-date"
            }
            handle = response.headers["electric-handle"]
            offset = response.headers["electric-offset"] ?? offset
            cursor = response.headers["electric-cursor"] ?? cursor
            if !live { schema = response.headers["electric-schema"] }
            isUpToDate = upToDate
            return nil
        case 204:
            // Legacy "caught up, go live".
            isUpToDate = true
            return nil
        case 409:
            restart(handle: response.headers["electric-handle"])
            return nil
        case 429, 500...599:
            let seconds = response.headers["retry-after"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 1
            return .seconds(min(max(seconds, 0), 10))
        default:
            throw violation("unexpected status \(response.status)", response)
        }
    }

    private enum MessageOutcome { case applied, refetch }

    private func apply(message: JSONValue, response: HTTPResponse) throws -> MessageOutcome {
        guard let headers = message["headers"]?.objectValue else {
            throw violation("a message without headers: \(message)", response)
        }
        if let key = message["key"] {
            guard let key = key.stringValue, let operation = headers["operation"]?.stringValue else {
                throw violation("a change without a string key or an operation: \(message)", response)
            }
            let value = try columns(message["value"], in: message, response)
            let oldValue = try message["old_value"].map { try columns($0, in: message, response) }
            switch operation {
            case "insert":
                rows[key] = value
            case "update":
                rows[key, default: [:]].merge(value) { _, new in new }
            case "delete":
                rows[key] = nil
            default:
                throw violation("unknown operation \(operation)", response)
            }
            changes.append(ShapeChange(operation: operation, key: key, value: value, oldValue: oldValue, headers: headers))
            return .applied
        }
        if let control = headers["control"]?.stringValue {
            if control == "must-refetch" {
                restart(handle: response.headers["electric-handle"])
                return .refetch
            }
            if control == "up-to-date", let lsn = headers["global_last_seen_lsn"] {
                guard let text = lsn.stringValue, UInt64(text) != nil else {
                    throw violation("global_last_seen_lsn must be a decimal string, got \(lsn)", response)
                }
                lastSeenLSN = text
            }
            controls.append(headers)
        }
        // Event messages (subquery move-in/move-out) are ignored.
        return .applied
    }

    /// `value`/`old_value`: every member a JSON string or null.
    private func columns(_ value: JSONValue?, in message: JSONValue, _ response: HTTPResponse) throws -> [String: String?] {
        guard let members = value?.objectValue else { throw violation("a change without a value object: \(message)", response) }
        var result: [String: String?] = [:]
        for (column, member) in members {
            switch member {
            case .string(let text): result[column] = .some(text)
            case .null: result[column] = .some(nil)
            default: throw violation("column \(column) is \(member), not a string or null", response)
            }
        }
        return result
    }

    private func checkHeaders(_ response: HTTPResponse, live: Bool) throws {
        var required = ["electric-offset", "electric-handle"]
        required.append(live ? "electric-cursor" : "electric-schema")
        let missing = required.filter { !response.headers.contains($0) }
        guard missing.isEmpty else { throw violation("missing headers \(missing)", response) }
    }

    /// Throws the data away and starts again from `-1` (what a client does on 409/must-refetch).
    private func restart(handle newHandle: String?) {
        rows = [:]
        changes = []
        controls = []
        handle = newHandle
        offset = "-1"
        cursor = nil
        isUpToDate = false
        refetchCount += 1
    }

    // MARK: - Errors

    private func violation(_ what: String, _ response: HTTPResponse) -> SupportError {
        SupportError("shape protocol violation: \(what)\n\(response)\nrequests:\n" + requestLog.suffix(10).joined(separator: "\n"))
    }

    private func timeoutError() -> SupportError {
        let shown = rows.sorted { $0.key < $1.key }.prefix(20).map { "  \($0.key): \($0.value)" }.joined(separator: "\n")
        return SupportError(
            "shape sync timed out (handle \(handle ?? "none"), offset \(offset), up-to-date \(isUpToDate), "
                + "\(rows.count) rows)\n\(shown)\nlast requests:\n" + requestLog.suffix(10).joined(separator: "\n")
        )
    }
}

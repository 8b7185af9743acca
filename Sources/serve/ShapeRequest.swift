import ConduitCore

/// The offset a client asked for: a log offset, or `now` (protocol.md §7.1).
enum RequestOffset: Hashable, Sendable {
    case offset(LogOffset)
    case now

    /// The form used in ETags: canonical offset text, or `now`.
    var text: String {
        switch self {
        case .offset(let offset): return offset.description
        case .now: return "now"
        }
    }

    var isInitial: Bool { self == .offset(.beforeAll) }
}

/// A validated `GET /v1/shape` request (protocol.md §3), built by ``parse(_:)`` without I/O.
struct ShapeRequest: Hashable, Sendable {
    var definition: ShapeDefinition
    var offset: RequestOffset
    /// nil for `-1` and `now`, where the parameter is ignored.
    var handle: String?
    var live: Bool
    var liveSSE: Bool
    /// The raw `cursor` parameter, only used to compute the next cursor.
    var cursor: String?
    /// Set when any `subset__*` parameter (or a POST body's subset) was given: the response is a
    /// subset snapshot (protocol.md §3.4, §4.8) instead of the log.
    var subset: SubsetRequest?
}

/// Why a request was rejected: field → messages, rendered as
/// `{"message":"Invalid request","errors":{…}}` with status 400. Fields named `subset.<name>` are
/// nested: `{"errors":{"subset":{"<name>":[…]}}}`.
struct ShapeRequestError: Error, Hashable, Sendable {
    var errors: [String: [String]]

    init(_ field: String, _ message: String) {
        self.errors = [field: [message]]
    }

    init(errors: [String: [String]]) {
        self.errors = errors
    }
}

extension ShapeRequest {
    /// Validates the query in Electric's order (protocol.md §3.0): casting, offset, handle,
    /// live, live_sse, then the shape definition; the first failing step's errors are returned.
    /// - Parameter pairs: the query string's pairs, then a POST body's subset as
    ///   ``SubsetParameters/pairs(fromBody:)`` made them (later pairs win).
    static func parse(_ pairs: [(key: String, value: String)]) throws(ShapeRequestError) -> ShapeRequest {
        var values: [String: String] = [:]
        var params: [String: String] = [:]
        var subsetParams: [String: String] = [:]
        var paramsIsMalformed = false
        for (key, value) in pairs {
            if key.hasPrefix("params[") && key.hasSuffix("]") {
                params[String(key.dropFirst(7).dropLast())] = value
            } else if key.hasPrefix("subset__params[") && key.hasSuffix("]") {
                subsetParams[String(key.dropFirst(15).dropLast())] = value
            } else if key == "params" {
                paramsIsMalformed = true
            } else {
                values[key] = value
            }
        }
        /// Ecto treats an empty or whitespace-only string as absent.
        func present(_ key: String) -> String? {
            values[key].flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
        }

        // (a) casting
        var castErrors: [String: [String]] = [:]
        let replica: ReplicaMode
        switch present("replica") {
        case nil: replica = .default
        case let text?:
            replica = ReplicaMode(rawValue: text) ?? .default
            if ReplicaMode(rawValue: text) == nil { castErrors["replica"] = ["is invalid"] }
        }
        var log = LogMode.full
        if let text = present("log") {
            if let mode = LogMode(rawValue: text) { log = mode } else { castErrors["log"] = ["is invalid"] }
        }
        if paramsIsMalformed { castErrors["params"] = ["is invalid"] }
        guard castErrors.isEmpty else { throw ShapeRequestError(errors: castErrors) }

        // (b), (c) offset
        guard let offsetText = present("offset") else { throw ShapeRequestError("offset", "can't be blank") }
        let offset: RequestOffset
        if offsetText == "now" {
            offset = .now
        } else if let parsed = LogOffset(offsetText) {
            offset = .offset(parsed)
        } else {
            throw ShapeRequestError("offset", "has invalid format")
        }

        // (d) handle
        let isStart = offset == .now || offset.isInitial
        let handle = isStart ? nil : present("handle")
        if !isStart && handle == nil { throw ShapeRequestError("handle", "can't be blank when offset != -1") }

        // (e), (f) live flags: anything but the exact string "false" is true.
        let live = values["live"].map { $0 != "false" } ?? false
        let liveSSE = (values["live_sse"] ?? values["experimental_live_sse"]).map { $0 != "false" } ?? false
        if live && offset.isInitial { throw ShapeRequestError("live", "can't be true when offset == -1") }
        if live && offset == .now { throw ShapeRequestError("live", "can't be true when offset is 'now'") }
        if liveSSE && !live { throw ShapeRequestError("live_sse", "can't be true unless live is also true") }

        // (g) the shape definition
        guard let tableText = present("table") else { throw ShapeRequestError("table", "can't be blank") }
        let relation: RelationIdentifier
        do {
            relation = try RelationIdentifier(parsing: tableText)
        } catch {
            throw ShapeRequestError("table", error.message)
        }
        var columns: [String]?
        if let columnsText = present("columns") {
            do {
                columns = try ColumnList.parse(columnsText)
            } catch {
                throw ShapeRequestError("columns", error.message)
            }
        }
        let whereClause = present("where")
        let numbered = try whereClause == nil ? [:] : numberedParams(params, field: "params")

        // (h) subset parameters
        let subset = try SubsetParameters.parse(values: values, explodedParams: subsetParams)
        return ShapeRequest(
            definition: ShapeDefinition(
                schema: relation.schema,
                table: relation.table,
                whereClause: whereClause,
                params: numbered,
                columns: columns,
                replica: replica,
                log: log
            ),
            offset: offset,
            handle: handle,
            live: live,
            liveSSE: liveSSE,
            cursor: present("cursor"),
            subset: subset
        )
    }

    /// `params[n]` keys must be integers numbered 1, 2, … without gaps.
    static func numberedParams(_ params: [String: String], field: String) throws(ShapeRequestError) -> [Int: String] {
        var numbered: [Int: String] = [:]
        for (key, value) in params {
            guard !key.isEmpty, key.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(key) else {
                throw ShapeRequestError(field, "Parameters can only use numbers as keys")
            }
            numbered[number] = value
        }
        guard numbered.keys.sorted() == Array(1..<(numbered.count + 1)) else {
            throw ShapeRequestError(field, "Parameters must be numbered sequentially, starting from 1")
        }
        return numbered
    }
}

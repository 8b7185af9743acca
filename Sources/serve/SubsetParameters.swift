import ConduitCore
import Foundation

/// The subset parameters of a shape request (protocol.md §3.4): `subset__where`,
/// `subset__params` (a JSON object, or exploded `subset__params[n]=`), `subset__order_by`,
/// `subset__limit`, `subset__offset`, or the same keys in a POST body.
///
/// serve checks what needs no catalog; router compiles the where clause and checks the
/// `order_by` columns against the table.
enum SubsetParameters {
    /// The subset keys that switch a request to a subset snapshot (`*_expr` keys are ignored).
    static let keys = ["where", "params", "order_by", "limit", "offset"]

    /// The subset of a request, nil when no subset parameter was given.
    /// - Throws: errors under `subset.<key>`, in Electric's words.
    static func parse(values: [String: String], explodedParams: [String: String]) throws(ShapeRequestError) -> SubsetRequest? {
        func value(_ key: String) -> String? { values["subset__" + key] }
        guard keys.contains(where: { value($0) != nil }) || !explodedParams.isEmpty else { return nil }
        var errors: [String: [String]] = [:]
        var subset = SubsetRequest()
        if let text = value("limit") {
            if let number = Int(text.trimmingCharacters(in: .whitespaces)) {
                if number > 0 { subset.limit = number } else { errors["subset.limit"] = ["must be greater than 0"] }
            } else {
                errors["subset.limit"] = ["is invalid"]
            }
        }
        if let text = value("offset") {
            if let number = Int(text.trimmingCharacters(in: .whitespaces)) {
                if number >= 0 { subset.offset = number } else { errors["subset.offset"] = ["must be greater than or equal to 0"] }
            } else {
                errors["subset.offset"] = ["is invalid"]
            }
        }
        var rawParams = explodedParams
        if let text = value("params"), !text.isEmpty {
            if let decoded = jsonParams(text) {
                rawParams.merge(decoded) { _, new in new }
            } else {
                errors["subset.params"] = ["is invalid"]
            }
        }
        guard errors.isEmpty else { throw ShapeRequestError(errors: errors) }
        subset.params = try ShapeRequest.numberedParams(rawParams, field: "subset.params")
        subset.whereClause = value("where").flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
        subset.orderBy = value("order_by").flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
        if let orderBy = subset.orderBy {
            do {
                _ = try SubsetOrderBy.parse(orderBy)
            } catch {
                throw ShapeRequestError("subset.order_by", error.message)
            }
        } else if subset.limit != nil || subset.offset != nil {
            throw ShapeRequestError("subset.order_by", "order_by is required when limit or offset is present")
        }
        return subset
    }

    /// `{"1":"a","2":3}` → `["1": "a", "2": "3"]`; nil when not a JSON object of scalars.
    static func jsonParams(_ text: String) -> [String: String]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        var result: [String: String] = [:]
        for (key, value) in object {
            guard let text = scalarText(value) else { return nil }
            result[key] = text
        }
        return result
    }

    /// A JSON string or number as text (numbers as their JSON text); nil for anything else.
    private static func scalarText(_ value: Any) -> String? {
        if let text = value as? String { return text }
        if let number = value as? NSNumber, !isBoolean(number) { return number.stringValue }
        return nil
    }

    /// JSON `true`/`false` also arrive as NSNumber; they are not numbers here.
    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    /// A POST body's problem (protocol.md §3.4): answered 400 with Electric's `{"error":…}` body.
    struct BodyError: Error, Equatable {
        var error: String
        var details: String?
    }

    /// A POST body as query pairs (`subset__where=…`), so a body and a query string are checked by
    /// the same code; the subset keys may also be nested under `"subset"`. An empty body is no
    /// subset. Keys other than the subset's are ignored (the shape's definition stays in the query).
    static func pairs(fromBody body: [UInt8]) throws(BodyError) -> [(key: String, value: String)] {
        guard body.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) else { return [] }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        } catch {
            throw BodyError(error: "Invalid JSON in request body", details: "\((error as NSError).localizedDescription)")
        }
        guard var object = parsed as? [String: Any] else { throw BodyError(error: "Request body must be a JSON object") }
        if let nested = object["subset"] as? [String: Any] {
            object.merge(nested) { _, new in new }
        }
        var pairs: [(key: String, value: String)] = []
        for key in keys {
            guard let value = object[key], !(value is NSNull) else { continue }
            let text: String
            if key == "params", let params = value as? [String: Any] {
                let data = (try? JSONSerialization.data(withJSONObject: params)) ?? Data("?".utf8)
                text = String(decoding: data, as: UTF8.self)
            } else if let string = value as? String {
                text = string
            } else if let number = value as? NSNumber, !isBoolean(number) {
                text = number.stringValue
            } else {
                text = "?"  // not a string or number: "is invalid"
            }
            pairs.append((key: "subset__" + key, value: text))
        }
        return pairs
    }
}

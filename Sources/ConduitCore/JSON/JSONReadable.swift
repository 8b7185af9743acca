/// A type read from a ``JSONValue`` by hand, field by field: the start-up path's replacement for
/// `Decodable` + `JSONDecoder`, which spent most of a restart's CPU on two small files per shape.
///
/// A type keeps its `Codable` conformance (JSONEncoder still writes the files, and IPC still
/// decodes with JSONDecoder); its `init(json:)` reads exactly what that encoding writes. An
/// object type reads each field with one line on a ``JSONObject`` (`decode` for a required key,
/// `decodeIfPresent` for an optional one), so adding a field is adding a line; keys it does not
/// ask for are ignored, as `JSONDecoder` ignores them. `JSONReadableTests` checks that both
/// decoders agree on every document JSONEncoder writes and on every field's presence.
public protocol JSONReadable {
    /// Reads a value of this type.
    /// - Throws: ``JSONReadError`` naming the field path when `json` is not such a value.
    init(json: JSONValue) throws(JSONReadError)
}

extension JSONReadable {
    /// Parses `bytes` as one JSON document and reads a value of this type from it.
    public init(jsonBytes bytes: [UInt8]) throws(JSONReadError) {
        try self.init(json: JSONValue(parsing: bytes))
    }
}

/// The members of a JSON object, read by key.
public struct JSONObject {
    public let members: [JSONValue.Member]

    /// - Throws: when `json` is not an object.
    public init(_ json: JSONValue) throws(JSONReadError) {
        guard case .object(let members) = json else { throw .mismatch(expected: "an object", found: json) }
        self.members = members
    }

    /// The value of `key` (the first one when it appears twice, as `JSONDecoder` reads it); nil
    /// when absent.
    public subscript(key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    /// The value of a required `key`.
    /// - Throws: when it is absent, null or not a `T`.
    public func decode<T: JSONReadable>(_ key: String, as type: T.Type = T.self) throws(JSONReadError) -> T {
        guard let value = self[key] else { throw JSONReadError(reason: "the key is missing").within(key) }
        do {
            return try T(json: value)
        } catch {
            throw error.within(key)
        }
    }

    /// The value of an optional `key`: nil when absent or null.
    /// - Throws: when it is present but not a `T`.
    public func decodeIfPresent<T: JSONReadable>(_ key: String, as type: T.Type = T.self) throws(JSONReadError) -> T? {
        guard let value = self[key], value != .null else { return nil }
        do {
            return try T(json: value)
        } catch {
            throw error.within(key)
        }
    }
}

extension JSONReadError {
    /// `json` is not the kind of value the field holds.
    public static func mismatch(expected: String, found json: JSONValue) -> JSONReadError {
        JSONReadError(reason: "expected \(expected), found \(json.kind)")
    }
}

extension JSONValue {
    /// The integer this number is, when it is written as one and fits in `T`.
    /// - Throws: for another kind of value, a fraction or exponent, or a value out of `T`'s range.
    public func integer<T: FixedWidthInteger>(_ type: T.Type = T.self) throws(JSONReadError) -> T {
        guard case .number(let text) = self else { throw .mismatch(expected: "an integer", found: self) }
        if let value = T(text, radix: 10) { return value }
        if text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) {
            throw JSONReadError(reason: "expected an integer, found a fraction or an exponent")
        }
        throw JSONReadError(reason: "the number does not fit in \(T.self)")
    }
}

extension String: JSONReadable {
    public init(json: JSONValue) throws(JSONReadError) {
        guard case .string(let text) = json else { throw .mismatch(expected: "a string", found: json) }
        self = text
    }
}

extension Bool: JSONReadable {
    public init(json: JSONValue) throws(JSONReadError) {
        guard case .bool(let value) = json else { throw .mismatch(expected: "a boolean", found: json) }
        self = value
    }
}

extension Int: JSONReadable {
    public init(json: JSONValue) throws(JSONReadError) { self = try json.integer() }
}

extension UInt32: JSONReadable {
    public init(json: JSONValue) throws(JSONReadError) { self = try json.integer() }
}

extension UInt64: JSONReadable {
    public init(json: JSONValue) throws(JSONReadError) { self = try json.integer() }
}

extension Array: JSONReadable where Element: JSONReadable {
    public init(json: JSONValue) throws(JSONReadError) {
        guard case .array(let elements) = json else { throw .mismatch(expected: "an array", found: json) }
        self = []
        reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            do {
                append(try Element(json: element))
            } catch {
                throw error.within(String(index))
            }
        }
    }
}

/// `[Int: V]`, which JSONEncoder writes as an object whose keys are the integers' decimal text.
extension Dictionary: JSONReadable where Key == Int, Value: JSONReadable {
    public init(json: JSONValue) throws(JSONReadError) {
        let object = try JSONObject(json)
        self = [:]
        for member in object.members {
            guard let key = Int(member.key) else { throw JSONReadError(reason: "expected an integer key").within(member.key) }
            do {
                self[key] = try Value(json: member.value)
            } catch {
                throw error.within(member.key)
            }
        }
    }
}

/// Enums stored as their raw string.
extension JSONReadable where Self: RawRepresentable, RawValue == String {
    public init(json: JSONValue) throws(JSONReadError) {
        let raw = try String(json: json)
        guard let value = Self(rawValue: raw) else { throw JSONReadError(reason: "not a \(Self.self) value") }
        self = value
    }
}

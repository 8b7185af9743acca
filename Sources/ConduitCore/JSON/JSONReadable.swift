/// A type read from a ``JSONNode`` by hand, field by field: the start-up path's replacement for
/// `Decodable` + `JSONDecoder`, which spent most of a restart's CPU on two small files per shape.
///
/// A type keeps its `Codable` conformance (JSONEncoder still writes the files, and IPC still
/// decodes with JSONDecoder); its `init(json:)` reads exactly what that encoding writes. An
/// object type reads each field with one line on a ``JSONObject`` (`decode` for a required key,
/// `decodeIfPresent` for an optional one), so adding a field is adding a line; keys it does not
/// ask for are ignored, as `JSONDecoder` ignores them. `ShapeMetadataJSONTests` and
/// `RouterShapeRecordJSONTests` check that both decoders agree on every document JSONEncoder
/// writes and on every field's presence.
public protocol JSONReadable {
    /// Reads a value of this type.
    /// - Throws: ``JSONReadError`` naming the field path when `json` is not such a value.
    init(json: JSONNode) throws(JSONReadError)
}

extension JSONReadable {
    /// Parses `bytes` as one JSON document and reads a value of this type from it.
    @inlinable
    public init(jsonBytes bytes: [UInt8]) throws(JSONReadError) {
        try self.init(json: JSONDocument(parsing: bytes).root)
    }
}

/// The members of a JSON object, read by key.
public struct JSONObject {
    public let node: JSONNode

    /// - Throws: when `json` is not an object.
    public init(_ json: JSONNode) throws(JSONReadError) {
        guard json.kind == .object else { throw .mismatch(expected: "an object", found: json) }
        node = json
    }

    /// The value of `key` (the first one when it appears twice, as `JSONDecoder` reads it); nil
    /// when absent.
    public subscript(key: String) -> JSONNode? {
        node.document.member(key, inObjectAt: node.index).map { JSONNode(document: node.document, index: $0) }
    }

    /// The value of a required `key`.
    /// - Throws: when it is absent, null or not a `T`.
    @inlinable
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
    @inlinable
    public func decodeIfPresent<T: JSONReadable>(_ key: String, as type: T.Type = T.self) throws(JSONReadError) -> T? {
        guard let value = self[key], value.kind != .null else { return nil }
        do {
            return try T(json: value)
        } catch {
            throw error.within(key)
        }
    }
}

extension JSONReadError {
    /// `json` is not the kind of value the field holds.
    public static func mismatch(expected: String, found json: JSONNode) -> JSONReadError {
        JSONReadError(reason: "expected \(expected), found \(json.kind.name)")
    }
}

extension String: JSONReadable {
    public init(json: JSONNode) throws(JSONReadError) { self = try json.string() }
}

extension Bool: JSONReadable {
    public init(json: JSONNode) throws(JSONReadError) { self = try json.bool() }
}

extension Int: JSONReadable {
    public init(json: JSONNode) throws(JSONReadError) { self = try json.integer() }
}

extension UInt32: JSONReadable {
    public init(json: JSONNode) throws(JSONReadError) { self = try json.integer() }
}

extension UInt64: JSONReadable {
    public init(json: JSONNode) throws(JSONReadError) { self = try json.integer() }
}

extension Array: JSONReadable where Element: JSONReadable {
    public init(json: JSONNode) throws(JSONReadError) {
        let elements = try json.elements()
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
    public init(json: JSONNode) throws(JSONReadError) {
        let members = try json.members()
        self = [:]
        reserveCapacity(members.count)
        for member in members {
            let text = try member.key.string()
            guard let key = Int(text) else { throw JSONReadError(reason: "expected an integer key").within(text) }
            do {
                self[key] = try Value(json: member.value)
            } catch {
                throw error.within(text)
            }
        }
    }
}

/// Enums stored as their raw string.
extension JSONReadable where Self: RawRepresentable, RawValue == String {
    public init(json: JSONNode) throws(JSONReadError) {
        let raw = try String(json: json)
        guard let value = Self(rawValue: raw) else { throw JSONReadError(reason: "not a \(Self.self) value") }
        self = value
    }
}

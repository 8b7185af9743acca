import ConduitCore

/// A JSON document as a tree of values, for tests that take documents apart and put them back
/// together (``JSONAgreement/mutations(of:)``); Conduit itself reads documents through
/// ``JSONDocument`` without building one.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    /// The number as written.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// The members in document order, duplicates kept.
    case object([Member])

    /// One `"key": value` of an object.
    public struct Member: Hashable, Sendable {
        public var key: String
        public var value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// Parses `bytes` with ``JSONDocument`` and copies every value out.
    public init(parsing bytes: [UInt8]) throws(JSONReadError) {
        try self.init(JSONDocument(parsing: bytes).root)
    }

    public init(_ node: JSONNode) throws(JSONReadError) {
        switch node.kind {
        case .null: self = .null
        case .false: self = .bool(false)
        case .true: self = .bool(true)
        case .number: self = .number(node.numberText ?? "")
        case .string: self = .string(try node.string())
        case .array:
            var elements: [JSONValue] = []
            for element in try node.elements() { elements.append(try JSONValue(element)) }
            self = .array(elements)
        case .object:
            var members: [Member] = []
            for member in try node.members() { members.append(Member(key: try member.key.string(), value: try JSONValue(member.value))) }
            self = .object(members)
        }
    }
}

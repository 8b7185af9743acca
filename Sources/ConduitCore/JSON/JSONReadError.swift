/// Why a JSON document could not be read: malformed text (with the byte offset), or a value that
/// is not what the field it belongs to must hold (with the field's path).
///
/// Never contains the document's values, only its structure: it is logged as the reason a shape
/// folder was discarded.
public struct JSONReadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public var reason: String
    /// Where in the text, for a syntax error.
    public var offset: Int?
    /// The keys (and array indexes) from the document's root to the value at fault.
    public var codingPath: [String] = []
    /// The file the document came from, when the reader knows it.
    public var file: String?

    public init(reason: String, offset: Int? = nil) {
        self.reason = reason
        self.offset = offset
    }

    /// The same error, one level further down: `key` is the member or index it happened in.
    public func within(_ key: String) -> JSONReadError {
        var error = self
        error.codingPath.insert(key, at: 0)
        return error
    }

    /// The same error, naming the file it was read from.
    public func reading(_ path: String) -> JSONReadError {
        var error = self
        error.file = path
        return error
    }

    public var description: String {
        var text = file.map { "\($0): " } ?? ""
        if let offset { text += "invalid JSON at byte \(offset): " }
        if !codingPath.isEmpty { text += codingPath.joined(separator: ".") + ": " }
        return text + reason
    }
}

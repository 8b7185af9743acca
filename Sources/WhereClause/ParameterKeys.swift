/// Validates the `params` map of a shape request.
///
/// - Parameter params: the raw map, keys as sent (`"1"`, `"2"`, …).
/// - Returns: the map keyed by parameter number.
/// - Throws: ``WhereClauseError`` (kind `.parameters`) with Electric's messages:
///   `Parameters can only use numbers as keys` when a key is not a positive decimal number,
///   `Parameters must be numbered sequentially, starting from 1` when the numbers are not
///   exactly `1...n`.
public func validateParamKeys(_ params: [String: String]) throws(WhereClauseError) -> [Int: String] {
    var result: [Int: String] = [:]
    for (key, value) in params {
        guard !key.isEmpty, key.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(key) else {
            throw WhereClauseError(.parameters, location: nil, reason: "Parameters can only use numbers as keys")
        }
        result[number] = value
    }
    guard result.keys.sorted() == Array(1...max(result.count, 1)).prefix(result.count).map({ $0 }) else {
        throw WhereClauseError(.parameters, location: nil, reason: "Parameters must be numbered sequentially, starting from 1")
    }
    return result
}

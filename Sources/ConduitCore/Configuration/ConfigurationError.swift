/// A configuration variable is missing or invalid. The message names the variable and what is
/// accepted, so the operator can fix it from the log line alone.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    /// Checks a stream id: it becomes part of slot and publication names, which PostgreSQL limits
    /// to lower-case letters, digits and underscores, 63 bytes in all.
    public static func streamID(_ value: String) throws(ConfigurationError) -> String {
        let allowed = value.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        guard !value.isEmpty, value.utf8.count <= 40, allowed else {
            throw ConfigurationError(
                "CONDUIT_STREAM_ID '\(value)' is invalid: use 1-40 characters from [a-z0-9_]"
            )
        }
        return value
    }

    /// Parses a non-negative integer count of bytes.
    public static func byteCount(_ value: String, variable: String) throws(ConfigurationError) -> UInt64 {
        guard let number = UInt64(value) else {
            throw ConfigurationError("\(variable) '\(value)' is invalid: give a whole number of bytes")
        }
        return number
    }

    /// Parses a positive integer within `range`.
    public static func integer(_ value: String, variable: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw ConfigurationError(
                "\(variable) '\(value)' is invalid: give a whole number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return number
    }
}

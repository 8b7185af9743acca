/// A configuration variable is missing or invalid.
///
/// Every process reports it the same way (``ProcessStartup``): one log line naming the variable,
/// the value given and what is accepted, then exit status 1, so the operator can fix it from
/// that line alone (and systemd does not restart a process that cannot start).
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The variable at fault.
    public var variable: String
    /// The value given; nil when the variable is missing.
    public var value: String?
    /// What is accepted, as a phrase ("a whole number from 1 to 65535").
    public var expected: String

    public init(variable: String, value: String?, expected: String) {
        self.variable = variable
        self.value = value
        self.expected = expected
    }

    public var description: String {
        if let value { "\(variable)='\(value)' is invalid: expected \(expected)" } else { "\(variable) is not set: expected \(expected)" }
    }

    /// Checks a stream id: it becomes part of slot and publication names, which PostgreSQL limits
    /// to lower-case letters, digits and underscores, 63 bytes in all.
    public static func streamID(_ value: String) throws(ConfigurationError) -> String {
        let allowed = value.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        guard !value.isEmpty, value.utf8.count <= 40, allowed else {
            throw ConfigurationError(variable: "CONDUIT_STREAM_ID", value: value, expected: "1-40 characters from [a-z0-9_]")
        }
        return value
    }
}

/// Typed reads of environment variables, shared by the three processes so that a variable is
/// parsed, defaulted and reported the same way everywhere.
///
/// An empty value counts as unset (systemd's `Environment=NAME=` and an `.env` line `NAME=` mean
/// "use the default"). Every failure is a ``ConfigurationError`` naming the variable.
public struct EnvironmentReader: Sendable {
    public let environment: [String: String]

    public init(_ environment: [String: String]) {
        self.environment = environment
    }

    /// The value of `name`, nil when unset or empty.
    public subscript(name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The value of `name`, or a ``ConfigurationError`` saying what it must be.
    public func required(_ name: String, expected: String) throws(ConfigurationError) -> String {
        guard let value = self[name] else { throw ConfigurationError(variable: name, value: nil, expected: expected) }
        return value
    }

    /// A whole number within `range`; nil when unset.
    public func integer(_ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = self[name] else { return nil }
        guard let number = Int(value), range.contains(number) else {
            throw ConfigurationError(
                variable: name, value: value, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A whole number within `range`, `fallback` when unset.
    public func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        try integer(name, in: range) ?? fallback
    }

    /// A non-negative count of bytes, `fallback` when unset.
    public func byteCount(_ name: String, default fallback: UInt64) throws(ConfigurationError) -> UInt64 {
        guard let value = self[name] else { return fallback }
        guard let number = UInt64(value) else {
            throw ConfigurationError(variable: name, value: value, expected: "a whole number of bytes")
        }
        return number
    }

    /// A number of milliseconds within `range`; nil when unset.
    public func milliseconds(_ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Duration? {
        guard let value = self[name] else { return nil }
        guard let number = Int(value), range.contains(number) else {
            throw ConfigurationError(
                variable: name, value: value,
                expected: "a number of milliseconds from \(range.lowerBound) to \(range.upperBound)")
        }
        return .milliseconds(number)
    }

    /// `true`/`1`/`yes` or `false`/`0`/`no`; nil when unset.
    public func boolean(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let value = self[name] else { return nil }
        switch value.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ConfigurationError(variable: name, value: value, expected: "true or false")
        }
    }

    /// One of `choices` (compared case-insensitively, returned lower-cased), `fallback` when unset.
    public func choice(_ name: String, _ choices: [String], default fallback: String) throws(ConfigurationError) -> String {
        guard let value = self[name] else { return fallback }
        guard choices.contains(value.lowercased()) else {
            throw ConfigurationError(variable: name, value: value, expected: "one of \(choices.joined(separator: ", "))")
        }
        return value.lowercased()
    }
}

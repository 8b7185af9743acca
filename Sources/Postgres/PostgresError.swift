/// A failure reported by libpq or by the server, with the text an operator needs.
///
/// `sqlState` is the five-character SQLSTATE when the server sent one (for example `42P01` for an
/// undefined table), so callers can react to classes of errors without parsing messages.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var sqlState: String?

    public init(message: String, sqlState: String? = nil) {
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String {
        if let sqlState { return "\(message) (SQLSTATE \(sqlState))" }
        return message
    }
}

import CLibPQ
import ConduitCore
import Postgres

#if canImport(Glibc)
    import Glibc
#endif

/// A libpq connection in logical replication mode (`replication=database`).
///
/// - Important: not `Sendable`. One thread owns it for its whole life; libpq forbids concurrent
///   use of a `PGconn`. The extended query protocol is refused on such connections, so every
///   command here goes through `PQexec`.
final class ReplicationConnection {
    private let connection: OpaquePointer

    /// Session settings that fix the text form of values (protocol.md §4.3): pgoutput renders
    /// values with the walsender's settings, so they are set through the startup `options`.
    static let sessionOptions =
        "-c datestyle=ISO,DMY -c timezone=UTC -c extra_float_digits=1 -c intervalstyle=iso_8601 -c bytea_output=hex"

    /// Connects using `url` (a URI or key=value string) with `replication=database` added.
    init(url: String) throws(PostgresError) {
        let keywords = ["dbname", "replication", "options", "application_name"]
        let values = [url, "database", Self.sessionOptions, "conduit-ingest"]
        // PQconnectdbParams takes NULL-terminated arrays.
        let connection = PostgresConnection.withCStrings(keywords + [nil]) { keys in
            PostgresConnection.withCStrings(values + [nil]) { vals in PQconnectdbParams(keys, vals, 1) }
        }
        guard let connection else { throw PostgresError(message: "libpq could not allocate a connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(message: "could not connect to PostgreSQL: \(PostgresConnection.trimmed(message))")
        }
        self.connection = connection
    }

    deinit { PQfinish(connection) }

    /// Runs a replication command or simple SQL and returns its rows.
    @discardableResult
    func execute(_ command: String) throws(PostgresError) -> PostgresResult {
        guard let result = PQexec(connection, command) else { throw lastError() }
        defer { PQclear(result) }
        try PostgresConnection.check(result, connection)
        return PostgresResult(copying: result)
    }

    /// Starts streaming pgoutput (protocol version 1) from `start`.
    func startReplication(slot: String, publication: String, start: LSN) throws(PostgresError) {
        try execute(
            "START_REPLICATION SLOT \"\(slot)\" LOGICAL \(start) (proto_version '1', publication_names '\(publication)')"
        )
    }

    /// The socket, for `poll(2)`.
    var socket: Int32 { PQsocket(connection) }

    /// Reads whatever arrived on the socket into libpq's buffer. False when the connection broke.
    func consumeInput() -> Bool { PQconsumeInput(connection) == 1 }

    enum CopyData {
        /// A message; the buffer is valid until the next call.
        case message(UnsafeRawBufferPointer)
        /// Nothing buffered: poll the socket.
        case wouldBlock
        /// The server ended the stream (error or shutdown); see ``finishError()``.
        case ended
    }

    private var lastBuffer: UnsafeMutablePointer<CChar>?

    /// The next CopyData message without blocking. The returned bytes are libpq's and are freed on
    /// the next call.
    func nextCopyData() -> CopyData {
        if let lastBuffer { PQfreemem(lastBuffer) }
        lastBuffer = nil
        var buffer: UnsafeMutablePointer<CChar>?
        let length = PQgetCopyData(connection, &buffer, 1)
        if length > 0, let buffer {
            lastBuffer = buffer
            return .message(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
        }
        return length == 0 ? .wouldBlock : .ended
    }

    /// Sends one CopyData message (a standby status update) and flushes it.
    func sendCopyData(_ bytes: [UInt8]) throws(PostgresError) {
        let sent = bytes.withUnsafeBytes { raw in
            PQputCopyData(connection, raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(raw.count))
        }
        guard sent == 1, PQflush(connection) >= 0 else { throw lastError() }
    }

    /// Ends the stream the way the protocol asks: CopyDone, then whatever the walsender had
    /// already sent is read and dropped (none of it was confirmed, so it stays in the WAL) until
    /// its own CopyDone and CommandComplete arrive. Closing the socket at once instead can make a
    /// walsender that is busy sending fail on its write and exit before it has read the last
    /// status update, which then never reaches the slot. Gives up after `timeout` seconds.
    /// Returns whether the server acknowledged the end.
    @discardableResult
    func endStream(timeout: Double) -> Bool {
        guard PQputCopyEnd(connection, nil) == 1, PQflush(connection) >= 0 else { return false }
        let deadline = MonotonicClock.seconds() + timeout
        var pollDescriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        /// Waits for more input until the deadline; false when it passed or the connection broke.
        func waitForInput() -> Bool {
            let remaining = deadline - MonotonicClock.seconds()
            guard remaining > 0 else { return false }
            pollDescriptor.revents = 0
            _ = poll(&pollDescriptor, 1, Int32(min(remaining * 1000, 100).rounded(.up)))
            return consumeInput()
        }
        drain: while true {
            switch nextCopyData() {
            case .message: continue
            case .ended: break drain
            case .wouldBlock: guard waitForInput() else { return false }
            }
        }
        var acknowledged = false
        while true {
            while PQisBusy(connection) == 1 {
                guard waitForInput() else { return false }
            }
            guard let result = PQgetResult(connection) else { return acknowledged }
            if PQresultStatus(result) == PGRES_COMMAND_OK { acknowledged = true }
            PQclear(result)
        }
    }

    /// After ``CopyData/ended``: the server's reason, as an error.
    func finishError() -> PostgresError {
        var message = "replication stream ended"
        var state: String?
        while let result = PQgetResult(connection) {
            if PQresultStatus(result) == PGRES_FATAL_ERROR {
                message = PostgresConnection.trimmed(String(cString: PQresultErrorMessage(result)))
                state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            }
            PQclear(result)
        }
        if state == nil, PQstatus(connection) != CONNECTION_OK {
            message = PostgresConnection.trimmed(String(cString: PQerrorMessage(connection)))
        }
        return PostgresError(message: message, sqlState: state)
    }

    private func lastError() -> PostgresError {
        PostgresError(message: PostgresConnection.trimmed(String(cString: PQerrorMessage(connection))))
    }
}

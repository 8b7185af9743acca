import ConduitCore
import Foundation

/// The payload of a stream-reset record (kind 3, ``SpoolRecordKind/streamReset``): the spool's
/// stream broke and a new epoch starts here.
///
/// A consumer reading the spool in order must treat everything it derived from earlier records
/// as unverifiable from this point: transactions between the old stream's end and
/// ``resumeLSN`` may be missing. router removes every shape (clients get 409 and refetch a new
/// snapshot) and treats ``resumeLSN`` as its applied position.
///
/// ## Encoding
/// The record's message is laid out as a pgoutput non-transactional logical decoding message
/// (`M`, flags 0, u64 lsn = ``resumeLSN``, prefix `conduit.stream-reset`, u32 length, content)
/// whose content is this value as JSON. A reader that decodes every record as pgoutput without
/// knowing kind 3 therefore sees a harmless logical message instead of failing; the record kind,
/// not the prefix, is what marks a reset.
public struct SpoolStreamReset: Hashable, Sendable, Codable {
    /// The new epoch's number.
    public var epoch: UInt32
    /// Where the new stream starts (the new slot's consistent point).
    public var resumeLSN: LSN
    /// The stream the new epoch continues from now on.
    public var identity: SpoolStreamIdentity
    /// One short sentence naming why continuity was lost (operator-facing, no row data).
    public var reason: String

    public init(epoch: UInt32, resumeLSN: LSN, identity: SpoolStreamIdentity, reason: String) {
        self.epoch = epoch
        self.resumeLSN = resumeLSN
        self.identity = identity
        self.reason = reason
    }

    /// The prefix of the logical message that carries the payload.
    public static let messagePrefix = "conduit.stream-reset"

    /// The record's message bytes (see the type's documentation).
    public func encodedMessage() -> [UInt8] {
        // Encoding plain stored properties of standard types cannot fail.
        let content = (try? JSONEncoder().encode(self)).map { [UInt8]($0) } ?? []
        var bytes: [UInt8] = [PgOutputMessage.Tag.logicalMessage, 0]
        bytes.appendInteger(resumeLSN.value, .bigEndian)
        bytes += Array(Self.messagePrefix.utf8) + [0]
        bytes.appendInteger(UInt32(content.count), .bigEndian)
        return bytes + content
    }

    /// Decodes a kind-3 record.
    ///
    /// - Throws: ``SpoolError/corruptRecord(lsn:reason:)`` if the record is not a well-formed reset.
    public init(record: SpoolRecord) throws(SpoolError) {
        guard record.kind == .streamReset else {
            throw .corruptRecord(lsn: record.lsn, reason: "kind \(record.kind.rawValue) is not a stream reset")
        }
        let message: PgOutputMessage
        do throws(PgOutputDecodingError) {
            message = try record.decode()
        } catch {
            throw .corruptRecord(lsn: record.lsn, reason: "stream reset: \(error)")
        }
        guard case .logicalMessage(let logical) = message, logical.prefix == Self.messagePrefix,
            let decoded = try? JSONDecoder().decode(SpoolStreamReset.self, from: Data(logical.content))
        else {
            throw .corruptRecord(lsn: record.lsn, reason: "stream reset record does not hold a \(Self.messagePrefix) payload")
        }
        self = decoded
    }
}

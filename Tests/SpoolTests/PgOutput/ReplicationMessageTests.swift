import Testing

@testable import ConduitCore
@testable import Spool

struct ReplicationMessageTests {
    @Test func decodesXLogDataWithoutCopyingThePayload() throws {
        let payload = PgOutputTestEncoder.encode(PgOutputFixtures.all[0])
        let frame = PgOutputTestEncoder.xLogData(dataStart: LSN(100), walEnd: LSN(200), sendTime: -3, payload: payload)
        guard case .xLogData(let header) = try ReplicationMessage(copyData: frame) else {
            Issue.record("expected XLogData")
            return
        }
        #expect(header.dataStart == LSN(100))
        #expect(header.walEnd == LSN(200))
        #expect(header.sendTime == -3)
        #expect(header.payloadRange == 25..<frame.count)
        #expect(Array(header.payload(in: frame)) == payload)
        let viaPointer = frame.withUnsafeBytes { raw in Array(header.payload(in: raw)) }
        #expect(viaPointer == payload)
    }

    @Test func decodesKeepalive() throws {
        let frame = PgOutputTestEncoder.keepalive(walEnd: LSN(0xABCDEF), sendTime: 77, replyRequested: true)
        #expect(frame.count == 18)
        #expect(
            try ReplicationMessage(copyData: frame) == .primaryKeepalive(.init(walEnd: LSN(0xABCDEF), sendTime: 77, replyRequested: true)))
    }

    @Test func truncatedFramesThrow() {
        let keepalive = PgOutputTestEncoder.keepalive(walEnd: LSN(1), sendTime: 1, replyRequested: false)
        for length in 0..<keepalive.count {
            #expect(throws: PgOutputDecodingError.self) { try ReplicationMessage(copyData: Array(keepalive[0..<length])) }
        }
        let xlog = PgOutputTestEncoder.xLogData(dataStart: LSN(1), walEnd: LSN(1), sendTime: 1, payload: [])
        for length in 0..<xlog.count {
            #expect(throws: PgOutputDecodingError.self) { try ReplicationMessage(copyData: Array(xlog[0..<length])) }
        }
        #expect(throws: PgOutputDecodingError.self) { try ReplicationMessage(copyData: keepalive + [0]) }
    }

    @Test func unknownTagThrows() {
        #expect(throws: PgOutputDecodingError(tag: UInt8(ascii: "q"), offset: 0, reason: .unknownTag)) {
            try ReplicationMessage(copyData: [UInt8(ascii: "q"), 0, 0])
        }
    }

    @Test func standbyStatusUpdateHasThe34ByteLayout() {
        let update = StandbyStatusUpdate(
            written: LSN(0x0102), flushed: LSN(0x0304), applied: LSN(0x0506), clientTime: -2, replyRequested: true)
        let expected: [UInt8] =
            [UInt8(ascii: "r")]
            + [0, 0, 0, 0, 0, 0, 1, 2] + [0, 0, 0, 0, 0, 0, 3, 4] + [0, 0, 0, 0, 0, 0, 5, 6]
            + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE] + [1]
        #expect(update.encoded() == expected)
        #expect(update.encoded().count == StandbyStatusUpdate.encodedSize)
    }

    @Test func postgresClockIsAfter2020() {
        // 2020-01-01 is 631_152_000 s after PostgreSQL's epoch.
        #expect(StandbyStatusUpdate.postgresMicrosecondsNow() > 631_152_000 * 1_000_000)
    }
}

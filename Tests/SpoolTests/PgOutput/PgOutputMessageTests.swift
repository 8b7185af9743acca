import TestSupport
import Testing

@testable import ConduitCore
@testable import Spool

struct PgOutputMessageTests {
    @Test(arguments: PgOutputFixtures.all)
    func roundTrip(_ message: PgOutputMessage) throws {
        let bytes = PgOutputTestEncoder.encode(message)
        #expect(try PgOutputMessage(decoding: bytes) == message)
        let fromPointer = try bytes.withUnsafeBytes { try PgOutputMessage(decoding: $0) }
        #expect(fromPointer == message)
    }

    @Test func beginMatchesDocumentedLayout() throws {
        let bytes: [UInt8] = [0x42] + [0, 0, 0, 0x16, 0xB3, 0x74, 0xD8, 0x48] + [0, 0, 0, 0, 0, 0, 0, 5] + [0, 0, 0x03, 0x0A]
        #expect(try PgOutputMessage(decoding: bytes) == .begin(.init(finalLSN: LSN(string: "16/B374D848")!, commitTimestamp: 5, xid: 778)))
    }

    @Test func decodesFromASliceWithNonZeroStartIndex() throws {
        let message = PgOutputFixtures.all[5]
        let padded = [9, 9, 9] + PgOutputTestEncoder.encode(message) + [7]
        let slice = padded[3..<(padded.count - 1)]
        #expect(try PgOutputMessage(decoding: slice) == message)
    }

    @Test(arguments: PgOutputFixtures.all)
    func everyTruncationThrows(_ message: PgOutputMessage) {
        let bytes = PgOutputTestEncoder.encode(message)
        for length in 0..<bytes.count {
            #expect(throws: PgOutputDecodingError.self) { try PgOutputMessage(decoding: bytes[0..<length]) }
        }
    }

    @Test(arguments: PgOutputFixtures.all)
    func trailingBytesThrow(_ message: PgOutputMessage) {
        let bytes = PgOutputTestEncoder.encode(message) + [0]
        #expect(throws: PgOutputDecodingError.self) { try PgOutputMessage(decoding: bytes) }
    }

    @Test func randomBytesNeverTrap() {
        var generator = SeededTestRandom(seed: 0xC0DE)
        let tags = Array("BCRYIUDTOMxz".utf8)
        for round in 0..<20_000 {
            var bytes = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if !bytes.isEmpty && round % 2 == 0 { bytes[0] = tags.randomElement(using: &generator)! }
            _ = try? PgOutputMessage(decoding: bytes)
        }
    }

    @Test func randomMutationsOfValidMessagesNeverTrap() {
        var generator = SeededTestRandom(seed: 42)
        for message in PgOutputFixtures.all {
            let original = PgOutputTestEncoder.encode(message)
            for _ in 0..<2_000 {
                var bytes = original
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
                _ = try? PgOutputMessage(decoding: bytes)
            }
        }
    }

    @Test func errorsNameTagOffsetAndReason() {
        let insert = PgOutputTestEncoder.encode(PgOutputFixtures.all[5])
        var badKind = insert
        badKind[8] = UInt8(ascii: "q")  // first column kind: tag(1) relid(4) 'N'(1) ncols(2)
        #expect(
            throws: PgOutputDecodingError(
                tag: UInt8(ascii: "I"), offset: 9, reason: .invalidValue(field: "TupleData column kind", value: UInt8(ascii: "q")))
        ) {
            try PgOutputMessage(decoding: badKind)
        }
        let error = PgOutputDecodingError(
            tag: UInt8(ascii: "I"), offset: 3, reason: .truncated(field: "Insert.relationID", needed: 4, available: 2))
        #expect(
            error.description
                == "cannot decode message 'I' at offset 3: Insert.relationID needs 4 bytes but only 2 remain (message truncated)")
    }

    @Test func invalidUTF8AndMissingTerminatorThrow() {
        var encoder = PgOutputTestEncoder()
        encoder.ascii("Y")
        encoder.u32(1)
        encoder.bytes += [0xFF, 0xFE, 0]
        encoder.string("t")
        #expect(throws: PgOutputDecodingError(tag: UInt8(ascii: "Y"), offset: 5, reason: .invalidUTF8(field: "Type.namespace"))) {
            try PgOutputMessage(decoding: encoder.bytes)
        }
        var unterminated = PgOutputTestEncoder()
        unterminated.ascii("O")
        unterminated.u64(1)
        unterminated.bytes += Array("abc".utf8)
        #expect(throws: PgOutputDecodingError.self) { try PgOutputMessage(decoding: unterminated.bytes) }
    }

    @Test func negativeColumnLengthThrows() {
        var encoder = PgOutputTestEncoder()
        encoder.ascii("I")
        encoder.u32(1)
        encoder.ascii("N")
        encoder.u16(1)
        encoder.ascii("t")
        encoder.i32(-1)
        #expect(throws: PgOutputDecodingError.self) { try PgOutputMessage(decoding: encoder.bytes) }
    }

    @Test(arguments: Array("SEcAbPpKrX".utf8))
    func unknownTagsFallThrough(_ tag: UInt8) throws {
        #expect(try PgOutputMessage(decoding: [tag, 1, 2, 3]) == .unknown(tag: tag))
    }

    @Test func emptyMessageThrows() {
        #expect(throws: PgOutputDecodingError(tag: 0, offset: 0, reason: .empty)) { try PgOutputMessage(decoding: [UInt8]()) }
    }

    @Test func updateAccessorsDistinguishKeyAndFullOldRows() throws {
        guard case .update(let keyed) = PgOutputFixtures.all[7], case .update(let full) = PgOutputFixtures.all[8] else {
            Issue.record("fixtures changed")
            return
        }
        #expect(keyed.oldKey != nil && keyed.oldTuple == nil)
        #expect(full.oldTuple != nil && full.oldKey == nil)
        #expect(PgOutputFixtures.relation.columns.map(\.isKey) == [true, false, false])
    }
}

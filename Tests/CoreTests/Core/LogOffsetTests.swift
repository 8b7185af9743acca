import Foundation
import TestSupport
import Testing

@testable import ConduitCore

struct LogOffsetTests {
    @Test(arguments: [
        ("-1", "-1"), ("-1_0", "-1"), ("0_0", "0_0"), ("0_02", "0_2"), ("26800584_4", "26800584_4"), ("0_inf", "0_inf"),
    ])
    func parsesAndPrintsCanonically(input: String, canonical: String) {
        #expect(LogOffset(input)?.description == canonical)
    }

    @Test(arguments: ["invalid", "0_-1", "10", "1_2_3", "1_2 ", "10_32.1", "", "_1", "1_", "-2", "1_inf2"])
    func rejectsMalformedOffsets(input: String) {
        #expect(LogOffset(input) == nil)
    }

    @Test func ordersLikeTheProtocol() {
        let ordered = ["-1", "0_0", "0_5", "0_inf", "100_0", "100_3", "100_inf", "200_0"].map { LogOffset($0)! }
        #expect(ordered == ordered.sorted())
        #expect(LogOffset.beforeAll < LogOffset.firstSnapshotChunk)
    }
}

struct LSNTests {
    @Test func printsAndParsesPostgresForm() {
        let lsn = LSN(string: "16/B374D848")!
        #expect(lsn.value == 0x16_B374_D848)
        #expect(lsn.description == "16/B374D848")
        #expect(lsn.decimal == "97500059720")
        #expect(LSN(0x1529400).paddedHex == "0000000001529400")
        #expect(LSN(string: "nope") == nil)
        #expect(LSN(string: "1/") == nil)
    }
}

struct JSONWriterTests {
    @Test(arguments: ["plain", "quote\"back\\slash", "line\nfeed\ttab\r", "\u{1}\u{1f}", "ünïcödé 🎉", ""])
    func escapesStringsRoundTrip(value: String) throws {
        var writer = JSONWriter()
        writer.raw(UInt8(ascii: "["))
        writer.string(value)
        writer.raw(UInt8(ascii: "]"))
        let decoded = try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String]
        #expect(decoded == [value])
    }

    /// Every byte value at every position of strings shorter and longer than the eight bytes
    /// `string(utf8:)` scans at once, amid plain text: escaped exactly as byte by byte.
    @Test func everyByteAtEveryPositionIsEscapedAsByteByByte() {
        for length in 1...19 {
            for position in 0..<length {
                for byte in UInt8.min...UInt8.max {
                    var input = Array(repeating: UInt8(ascii: "a"), count: length)
                    input[position] = byte
                    var writer = JSONWriter()
                    writer.string(utf8: input)
                    #expect(writer.bytes == Self.escapedByteByByte(input), "byte \(byte) at \(position) of \(length)")
                }
            }
        }
    }

    /// Random strings dense in characters to escape and multibyte text, some long.
    @Test func randomStringsAreEscapedAsByteByByte() {
        var random = SeededTestRandom(seed: 11)
        let alphabet = Array("ab\"\\\n\t\u{0}\u{1f}\u{7f}é日😀 /".utf8)
        for _ in 0..<2_000 {
            let input = (0..<Int.random(in: 0...80, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            var writer = JSONWriter()
            writer.string(utf8: input)
            #expect(writer.bytes == Self.escapedByteByByte(input))
        }
    }

    /// The reference: RFC 8259 escaping one byte at a time.
    static func escapedByteByByte(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in input {
            switch byte {
            case UInt8(ascii: "\""): out += Array(#"\""#.utf8)
            case UInt8(ascii: "\\"): out += Array(#"\\"#.utf8)
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0x08: out += Array(#"\b"#.utf8)
            case 0x0C: out += Array(#"\f"#.utf8)
            case 0..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    /// Integers are written digit by digit, as `String(value)` would, at every width and sign.
    @Test func integersMatchTheirDescription() {
        let signed: [Int64] = [0, 1, -1, 9, 10, -10, 123_456_789, .max, .min]
        for value in signed {
            var writer = JSONWriter()
            writer.integer(value)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == String(value))
        }
        let unsigned: [UInt64] = [0, 7, 1_000_000, .max]
        for value in unsigned {
            var writer = JSONWriter()
            writer.integer(value)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == String(value))
        }
        var small = JSONWriter()
        small.integer(UInt32.max)
        small.integer(Int8.min)
        #expect(String(decoding: small.bytes, as: UTF8.self) == "4294967295-128")
    }
}

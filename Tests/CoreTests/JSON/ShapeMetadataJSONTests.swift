import ConduitCore
import Foundation
import TestSupport
import Testing

/// `shape.json` is read at start-up by ``JSONReadable`` instead of `JSONDecoder`: for everything
/// JSONEncoder writes, and for every document one edit away from it, both must agree.
struct ShapeMetadataJSONTests {
    static func randomDefinition(_ random: inout SeededTestRandom) -> ShapeDefinition {
        var params: [Int: String] = [:]
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            params[Bool.random(using: &random) ? Int.random(in: 1...20, using: &random) : random.edgyInteger()] =
                random.awkwardString()
        }
        return ShapeDefinition(
            schema: random.awkwardString(),
            table: random.awkwardString(),
            whereClause: Bool.random(using: &random) ? random.awkwardString(maximumLength: 40) : nil,
            params: params,
            columns: Bool.random(using: &random) ? (0..<Int.random(in: 0...4, using: &random)).map { _ in random.awkwardString() } : nil,
            replica: Bool.random(using: &random) ? .default : .full,
            log: Bool.random(using: &random) ? .full : .changesOnly)
    }

    static func randomMetadata(_ random: inout SeededTestRandom) -> ShapeMetadata {
        var metadata = ShapeMetadata(
            handle: random.awkwardString(),
            definition: randomDefinition(&random),
            relationID: random.edgyInteger(),
            primaryKey: (0..<Int.random(in: 0...3, using: &random)).map { _ in random.awkwardString() },
            columns: (0..<Int.random(in: 0...5, using: &random)).map { _ in random.awkwardString() },
            schemaHeader: random.awkwardString(maximumLength: 60),
            normalizedWhere: Bool.random(using: &random) ? random.awkwardString(maximumLength: 40) : nil)
        if Bool.random(using: &random) { metadata.version = random.edgyInteger() }
        if Bool.random(using: &random) { metadata.stateRecord = Int.random(in: 0...1_000_000, using: &random) }
        return metadata
    }

    @Test func readsWhatJSONEncoderWritesAsJSONDecoderDoes() throws {
        var random = SeededTestRandom(seed: 11)
        for _ in 0..<200 {
            let metadata = Self.randomMetadata(&random)
            for bytes in try JSONAgreement.encodings(metadata) {
                #expect(try ShapeMetadata(jsonBytes: bytes) == metadata, "\(String(decoding: bytes, as: UTF8.self))")
                #expect(try JSONDecoder().decode(ShapeMetadata.self, from: Data(bytes)) == metadata)
            }
        }
    }

    /// What both decoders read from `document`; nil (with an issue recorded) unless both read it
    /// and agree.
    static func readByBoth(_ document: String) -> ShapeMetadata? {
        let bytes = Array(document.utf8)
        guard case .bothRead(let foundation, let fast) = JSONAgreement.verdict(ShapeMetadata.self, bytes), fast == foundation else {
            Issue.record("both decoders must read it alike: \(JSONAgreement.verdict(ShapeMetadata.self, bytes))")
            return nil
        }
        return fast
    }

    /// Escapes JSONEncoder never writes (it writes UTF-8 as it is) but another writer may.
    @Test func readsEveryEscapeAsJSONDecoderDoes() throws {
        let document = #"""
            {"version":1,"handle":"h\u00e9\u00C9\ud83d\ude00\/\b\f\n\r\t\u0000\u001f\"\\","definition":{"schema":"p\u0075blic",
            "table":"caf\u00e9","params":{"1":"\ud83c\uddeb\ud83c\uddf7","-2":"\u2028"},"replica":"full"},"relationID":4294967295,
            "primary\u004Bey":["\uFEFFid"],"columns":[],"schemaHeader":"{\"id\":{\"type\":\"int4\"}}","normalizedWhere":null}
            """#
        let fast = try #require(Self.readByBoth(document))
        #expect(fast.handle == "héÉ😀/\u{8}\u{C}\n\r\t\u{0}\u{1F}\"\\")
        #expect(fast.definition.params == [1: "🇫🇷", -2: "\u{2028}"])
        #expect(fast.definition.log == .full, "a definition written before `log` existed")
        #expect(fast.primaryKey == ["\u{FEFF}id"], "a key with an escape is the same key")
    }

    /// Every field read, with JSONDecoder's rules for absent, null and ill-typed values: a field
    /// the fast reader forgot (or reads with another default) shows up here.
    @Test func agreesWithJSONDecoderOnEveryOneEditVariant() throws {
        var random = SeededTestRandom(seed: 12)
        for _ in 0..<12 {
            var metadata = Self.randomMetadata(&random)
            // Every optional present, so that every key is there to be removed or changed.
            metadata.normalizedWhere = metadata.normalizedWhere ?? "x"
            metadata.definition.whereClause = metadata.definition.whereClause ?? "y"
            metadata.definition.columns = metadata.definition.columns ?? ["c"]
            metadata.definition.params[1] = "p"
            let document = try JSONValue(parsing: [UInt8](JSONEncoder().encode(metadata)))
            #expect(JSONAgreement.disagreements(ShapeMetadata.self, onEditsOf: document, same: ==) == [])
        }
    }

    /// Damaged text is refused, never read as another shape: whatever the fast reader accepts,
    /// JSONDecoder reads as the same value.
    @Test func damagedTextIsNeverReadAsAnotherShape() throws {
        var random = SeededTestRandom(seed: 13)
        for _ in 0..<300 {
            let bytes = [UInt8](try JSONEncoder().encode(Self.randomMetadata(&random)))
            var damaged = bytes
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                damaged[Int.random(in: damaged.indices, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            #expect(JSONAgreement.disagreement(ShapeMetadata.self, damaged, fastMayRefuse: true, same: ==) == nil)
        }
    }

    @Test func everyTruncationIsRefused() throws {
        var random = SeededTestRandom(seed: 14)
        let bytes = [UInt8](try JSONEncoder().encode(Self.randomMetadata(&random)))
        for length in 0..<bytes.count {
            #expect(throws: JSONReadError.self) { try ShapeMetadata(jsonBytes: Array(bytes[..<length])) }
        }
    }

    static let valid =
        #"{"version":1,"handle":"h","definition":{"schema":"public","table":"t"},"relationID":1,"#
        + #""primaryKey":["id"],"columns":["id"],"schemaHeader":"{}"}"#

    /// Malformed documents both decoders refuse; `HANDLE` stands for the handle's value.
    static let malformed: [String] = [
        "", " ", "{", "}", "[]", "null", "\"h\"", "{}",
        valid + "x", valid + "{}", valid + ",", "{" + valid,
        valid.replacingOccurrences(of: ":", with: " "), valid.replacingOccurrences(of: ",", with: " "),
        valid.replacingOccurrences(of: "\"", with: "'"),
        valid.replacingOccurrences(of: "[\"id\"]", with: "[,\"id\"]"),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: "\"handle\":h"),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: "\"handle\":\"h"),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: "\"handle\":\"h\u{1}\""),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: "\"handle\":\"h\nh\""),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: #""handle":"\x41""#),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: #""handle":"\u41""#),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: #""handle":"\u00G1""#),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: #""handle":"\ud83d""#),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: #""handle":"\ud83dx""#),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: #""handle":"\ud83d\u0041""#),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: #""handle":"\ude00""#),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: #""handle":"h\"#),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: #""handle":1"#),
        valid.replacingOccurrences(of: "\"handle\":\"h\"", with: #""handle":null"#),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":01"),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":-"),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":1."),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":.5"),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":1e"),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":+1"),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":-1"),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":4294967296"),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":1.5"),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":NaN"),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":Infinity"),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":\"1\""),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":tru"),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":nul"),
        valid.replacingOccurrences(of: "\"table\":\"t\"", with: "\"table\":\"t\",\"replica\":\"half\""),
        valid.replacingOccurrences(of: "\"table\":\"t\"", with: "\"table\":\"t\",\"log\":\"FULL\""),
        valid.replacingOccurrences(of: "\"table\":\"t\"", with: "\"table\":\"t\",\"params\":{\"one\":\"1\"}"),
        valid.replacingOccurrences(of: "\"table\":\"t\"", with: "\"table\":\"t\",\"params\":[\"1\"]"),
        valid.replacingOccurrences(of: "\"table\":\"t\"", with: "\"table\":\"t\",\"params\":{\"1\":2}"),
        valid.replacingOccurrences(of: "{\"version\"", with: "/* c */{\"version\""),
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
        valid.replacingOccurrences(of: "\"columns\":[\"id\"]", with: "\"columns\":" + String(repeating: "[", count: 600)),
    ]

    @Test(arguments: malformed)
    func malformedDocumentsAreRefusedByBoth(_ document: String) throws {
        let bytes = Array(document.utf8)
        guard case .bothRefused(let error) = JSONAgreement.verdict(ShapeMetadata.self, bytes) else {
            Issue.record("expected both to refuse: \(JSONAgreement.verdict(ShapeMetadata.self, bytes))")
            return
        }
        #expect(!error.description.isEmpty)
    }

    /// Where JSONDecoder is lenient and the fast reader follows RFC 8259 (JSONEncoder writes
    /// none of these): trailing commas, a byte-order mark, integers with a fraction or exponent.
    @Test(arguments: [
        valid.replacingOccurrences(of: "}", with: ",}"), valid.replacingOccurrences(of: "[\"id\"]", with: "[\"id\",]"),
        "\u{FEFF}" + valid, valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":1.0"),
        valid.replacingOccurrences(of: "\"relationID\":1", with: "\"relationID\":1e0"),
    ])
    func stricterThanJSONDecoder(_ document: String) throws {
        #expect(throws: JSONReadError.self) { try ShapeMetadata(jsonBytes: Array(document.utf8)) }
    }

    /// Keys compare as Swift strings do, as with JSONDecoder: `primary\u{212A}ey` (KELVIN SIGN,
    /// canonically `K`) is `primaryKey`.
    @Test func keysCompareByCanonicalEquivalence() throws {
        let kelvin = Self.valid.replacingOccurrences(of: "\"primaryKey\"", with: "\"primary\u{212A}ey\"")
        let fast = try #require(Self.readByBoth(kelvin))
        #expect(fast.primaryKey == ["id"])
    }

    /// A key given twice: the first counts, as with JSONDecoder.
    @Test func theFirstOfTwoEqualKeysCounts() throws {
        let twice = Self.valid.replacingOccurrences(of: "\"handle\":\"h\"", with: "\"handle\":\"a\",\"handle\":\"b\"")
        let fast = try #require(Self.readByBoth(twice))
        #expect(fast.handle == "a")
    }

    /// Bytes that are not UTF-8 inside a string, and UTF-8 sequences for no scalar.
    @Test(arguments: [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x80]] as [[UInt8]])
    func invalidUTF8IsRefused(_ sequence: [UInt8]) throws {
        let parts = Self.valid.components(separatedBy: "\"h\"")
        let bytes = Array(parts[0].utf8) + [UInt8(ascii: "\"")] + sequence + [UInt8(ascii: "\"")] + Array(parts[1].utf8)
        #expect(throws: JSONReadError.self) { try ShapeMetadata(jsonBytes: bytes) }
        if case .onlyFastRead = JSONAgreement.verdict(ShapeMetadata.self, bytes) { Issue.record("only the fast reader reads it") }
    }

    @Test func errorsNameTheFieldAndTheOffset() throws {
        let wrongKind = Self.valid.replacingOccurrences(of: "\"table\":\"t\"", with: "\"table\":7")
        let error = try #require(throws: JSONReadError.self) { try ShapeMetadata(jsonBytes: Array(wrongKind.utf8)) }
        #expect(error.codingPath == ["definition", "table"])
        #expect(error.description == "definition.table: expected a string, found a number")
        let syntax = try #require(throws: JSONReadError.self) { try ShapeMetadata(jsonBytes: Array(#"{"handle" "h"}"#.utf8)) }
        #expect(syntax.description == "invalid JSON at byte 10: expected ':' after a key")
        #expect(syntax.reading("shapes/h/shape.json").description.hasPrefix("shapes/h/shape.json: invalid JSON at byte 10"))
        let missing = try #require(throws: JSONReadError.self) {
            try ShapeMetadata(jsonBytes: Array(Self.valid.replacingOccurrences(of: "\"relationID\":1,", with: "").utf8))
        }
        #expect(missing.description == "relationID: the key is missing")
    }

    /// A file whose checksum trailer was damaged keeps the trailer text after the JSON: refused.
    @Test func aDamagedTrailerIsRefused() throws {
        var sealed = ChecksummedFile.seal(Array(Self.valid.utf8))
        sealed[Self.valid.utf8.count + 1] ^= 0x01
        let opened = try ChecksummedFile.open(sealed, path: "shape.json")
        #expect(throws: JSONReadError.self) { try ShapeMetadata(jsonBytes: opened) }
    }
}

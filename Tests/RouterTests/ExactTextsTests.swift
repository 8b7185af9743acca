import Testing

@testable import Router

/// ``ExactTexts`` keeps one short text inline and compares longer or several texts by `memcmp`;
/// both must agree with plain byte equality.
struct ExactTextsTests {
    static func slice(_ text: String) -> ArraySlice<UInt8> {
        // A slice that does not start at its base's index 0, as a decoded row's columns do.
        let bytes = Array(("xx" + text).utf8)
        return bytes[2...]
    }

    static let samples = [
        "", "5", "12345678", "123456789", "1234567890abcdef", "1234567890abcdefg", "a\u{0}", "a", "é", "e\u{301}",
        String(repeating: "z", count: 40),
    ]

    @Test(arguments: samples)
    func oneTextMatchesExactlyItsOwnBytes(text: String) {
        let texts = ExactTexts([Array(text.utf8)])
        for other in Self.samples {
            #expect(texts.contains(Self.slice(other)) == (Array(other.utf8) == Array(text.utf8)), "\(text) against \(other)")
        }
    }

    @Test func severalTextsMatchAnyOfTheirBytes() {
        let wanted = ["5", "1234567890abcdefg", ""]
        let texts = ExactTexts(wanted.map { Array($0.utf8) })
        for other in Self.samples + ["6", "55"] {
            #expect(texts.contains(Self.slice(other)) == wanted.contains { Array($0.utf8) == Array(other.utf8) }, "\(other)")
        }
        #expect(!ExactTexts([]).contains(Self.slice("")))
    }

    @Test func textsAreKeptAsGiven() {
        #expect(ExactTexts([Array("t".utf8)]).all == [Array("t".utf8)])
    }
}

import ConduitCore
import Foundation

/// Differential testing of ConduitCore's ``JSONReadable`` reader against Foundation's
/// `JSONDecoder`, which wrote and read `shape.json` and `router.json` before it: the same bytes
/// must give the same value, or be refused by both.
public enum JSONAgreement {
    /// What the two decoders made of one document.
    public enum Verdict<T> {
        case bothRead(foundation: T, fast: T)
        case bothRefused(fast: JSONReadError)
        case onlyFoundationRead(T, fast: JSONReadError)
        case onlyFastRead(T, foundation: any Error)
    }

    public static func verdict<T: Decodable & JSONReadable>(_ type: T.Type, _ bytes: [UInt8]) -> Verdict<T> {
        let foundation = Result { try JSONDecoder().decode(T.self, from: Data(bytes)) }
        let fast = Result { () throws(JSONReadError) -> T in try T(jsonBytes: bytes) }
        switch (foundation, fast) {
        case (.success(let expected), .success(let value)): return .bothRead(foundation: expected, fast: value)
        case (.failure, .failure(let error)): return .bothRefused(fast: error)
        case (.success(let expected), .failure(let error)): return .onlyFoundationRead(expected, fast: error)
        case (.failure(let error), .success(let value)): return .onlyFastRead(value, foundation: error)
        }
    }

    /// `value` as JSONEncoder writes it in each of the formattings a writer may choose: compact,
    /// sorted keys, pretty-printed, slashes unescaped.
    public static func encodings<T: Encodable>(_ value: T) throws -> [[UInt8]] {
        let formattings: [JSONEncoder.OutputFormatting] = [[], .sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try formattings.map { formatting in
            let encoder = JSONEncoder()
            encoder.outputFormatting = formatting
            return [UInt8](try encoder.encode(value))
        }
    }

    /// How the two decoders disagree on `bytes`, nil when they do not: one reads it and the
    /// other refuses it, or they read values that are not `same`. With `fastMayRefuse`, the fast
    /// reader may refuse what JSONDecoder reads (it is stricter about text JSONEncoder never
    /// writes), but never the other way round.
    public static func disagreement<T: Decodable & JSONReadable>(
        _ type: T.Type, _ bytes: [UInt8], fastMayRefuse: Bool = false, same: (T, T) -> Bool
    ) -> String? {
        switch verdict(type, bytes) {
        case .bothRead(let foundation, let fast): return same(foundation, fast) ? nil : "they read different values"
        case .bothRefused: return nil
        case .onlyFoundationRead(_, let error): return fastMayRefuse ? nil : "only JSONDecoder reads it; the fast reader: \(error)"
        case .onlyFastRead(_, let error): return "only the fast reader reads it; JSONDecoder: \(error)"
        }
    }

    /// The one-edit variants of `document` (``mutations(of:)``) the two decoders disagree on,
    /// each with its edit and the disagreement.
    public static func disagreements<T: Decodable & JSONReadable>(
        _ type: T.Type, onEditsOf document: JSONValue, same: (T, T) -> Bool
    ) -> [String] {
        mutations(of: document).compactMap { change, variant in
            disagreement(type, text(variant), same: same).map { "\(change): \($0)" }
        }
    }

    /// `document` changed in one place, each with a description: every object member removed,
    /// set to null, or set to a value of every kind (a string, booleans, numbers in and out of
    /// range, an array of arrays, an object), a key nobody reads added to every object, and every
    /// array element replaced. A field the fast reader forgot shows up as a removal or a wrong
    /// kind that `JSONDecoder` refuses and it accepts.
    public static func mutations(of document: JSONValue) -> [(String, JSONValue)] {
        let replacements: [JSONValue] = [
            .null, .string("x"), .bool(true), .number("-1"), .number("7"), .number("1.5"), .number("18446744073709551616"),
            .array([.array([])]), .object([]),
        ]
        var result: [(String, JSONValue)] = []
        func visit(_ value: JSONValue, path: String, rebuild: (JSONValue) -> JSONValue) {
            switch value {
            case .object(let members):
                var extra = members
                extra.append(JSONValue.Member(key: "zzUnknown", value: .array([.null, .object([])])))
                result.append(("\(path) with an unknown key", rebuild(.object(extra))))
                for (index, member) in members.enumerated() {
                    var without = members
                    without.remove(at: index)
                    result.append(("\(path).\(member.key) removed", rebuild(.object(without))))
                    visit(member.value, path: "\(path).\(member.key)") { replaced in
                        var changed = members
                        changed[index].value = replaced
                        return rebuild(.object(changed))
                    }
                }
            case .array(let elements):
                for index in elements.indices {
                    visit(elements[index], path: "\(path)[\(index)]") { replaced in
                        var changed = elements
                        changed[index] = replaced
                        return rebuild(.array(changed))
                    }
                }
            default:
                break
            }
            for replacement in replacements where replacement != value {
                result.append(("\(path) = \(String(decoding: text(replacement), as: UTF8.self))", rebuild(replacement)))
            }
        }
        visit(document, path: "$") { $0 }
        return result
    }

    /// `value` as compact JSON text (numbers exactly as they were written).
    public static func text(_ value: JSONValue) -> [UInt8] {
        var writer = JSONWriter()
        write(value, to: &writer)
        return writer.bytes
    }

    private static func write(_ value: JSONValue, to writer: inout JSONWriter) {
        switch value {
        case .null: writer.null()
        case .bool(let flag): writer.raw(flag ? "true" : "false")
        case .number(let digits): writer.raw(Array(digits.utf8))
        case .string(let string): writer.string(string)
        case .array(let elements):
            writer.raw(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { writer.raw(UInt8(ascii: ",")) }
                write(element, to: &writer)
            }
            writer.raw(UInt8(ascii: "]"))
        case .object(let members):
            writer.raw(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { writer.raw(UInt8(ascii: ",")) }
                writer.key(member.key)
                write(member.value, to: &writer)
            }
            writer.raw(UInt8(ascii: "}"))
        }
    }
}

extension SeededTestRandom {
    /// Characters that break naive JSON code: quotes, backslashes, slashes, every control
    /// character, DEL, two- three- and four-byte UTF-8 (surrogate pairs in `\u` escapes),
    /// combining marks, U+2028/2029, a byte-order mark, noncharacters and the last scalar.
    public static let awkwardScalars: [Unicode.Scalar] =
        Array("\"\\/'{}[]:,$ \u{7F}éüßñ€中文😀🇫🇷\u{301}\u{200D}\u{2028}\u{2029}\u{FEFF}\u{FFFD}\u{FFFF}\u{10FFFF}".unicodeScalars)
        + (0..<0x20).map { Unicode.Scalar(UInt8($0)) }

    /// A string of up to `maximumLength` scalars, mostly awkward, sometimes empty or plain.
    public mutating func awkwardString(maximumLength: Int = 12) -> String {
        let length = Int.random(in: 0...maximumLength, using: &self)
        var scalars = String.UnicodeScalarView()
        for _ in 0..<length {
            if Bool.random(using: &self) {
                scalars.append(Self.awkwardScalars.randomElement(using: &self)!)
            } else {
                scalars.append(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &self)))
            }
        }
        return String(scalars)
    }

    /// An integer of `T` from anywhere in its range, often an edge (0, 1, min, max).
    public mutating func edgyInteger<T: FixedWidthInteger>(_ type: T.Type = T.self) -> T {
        switch Int.random(in: 0..<6, using: &self) {
        case 0: return 0
        case 1: return T.max
        case 2: return T.min
        case 3: return 1
        default: return T.random(in: T.min...T.max, using: &self)
        }
    }
}

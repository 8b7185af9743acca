import ConduitCore
import Foundation
import Testing

@testable import Router

struct SnapshotRowRendererTests {
    private let renderer = SnapshotRowRenderer(schema: "public", table: "t/x", columns: ["id", "name", "note"], primaryKey: ["id"])

    /// The key doubles `/` inside values and NULL is `null`; values are escaped JSON strings.
    @Test func rendersKeyValueAndHeaders() throws {
        let json = String(decoding: renderer.render(["a/b", "quote \" back \\ tab \t", nil]), as: UTF8.self)
        #expect(
            json == #"{"key":"\"public\".\"t/x\"/\"a//b\"","value":{"id":"a/b","name":"quote \" back \\ tab \t","note":null},"#
                + #""headers":{"operation":"insert","relation":["public","t/x"]}}"#)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((parsed["value"] as? [String: Any])?["name"] as? String == "quote \" back \\ tab \t")
    }

    /// Rendering into a reused writer (the initial snapshot's path) appends exactly what the
    /// one-row form returns, and a subset's snapshot mark lands in the headers.
    @Test func renderingIntoAWriterMatchesTheOneRowForm() {
        var writer = JSONWriter()
        let rows: [[String?]] = [["1", "é ü", "x"], [nil, "", "\u{1}"]]
        for row in rows {
            writer.bytes.removeAll(keepingCapacity: true)
            renderer.render(row, into: &writer)
            #expect(writer.bytes == renderer.render(row))
        }
        let marked = String(decoding: renderer.render(["1", "n", "x"], snapshotMark: 7), as: UTF8.self)
        #expect(marked.hasSuffix(#""relation":["public","t/x"],"snapshot_mark":7}}"#))
        #expect(String(decoding: renderer.render([nil, "n", "x"]), as: UTF8.self).hasPrefix(#"{"key":"\"public\".\"t/x\"/_""#))
    }

    /// The row as the renderer wrote it before its joins were precomputed: piece by piece.
    static func reference(columns: [String], primaryKey: [String], values: [String?], mark: Int?) -> [UInt8] {
        // The raw key first (`/"value"` with every `/` doubled, `/_` for NULL), escaped whole below.
        var key: [UInt8] = []
        for column in primaryKey {
            guard let value = values[columns.firstIndex(of: column)!] else {
                key += Array("/_".utf8)
                continue
            }
            key += Array(("/\"" + value.replacingOccurrences(of: "/", with: "//") + "\"").utf8)
        }
        var writer = JSONWriter()
        writer.raw("{\"key\":")
        writer.string(utf8: Array("\"public\".\"t/x\"".utf8) + key)
        writer.raw(",\"value\":{")
        for (index, column) in columns.enumerated() {
            if index > 0 { writer.raw(UInt8(ascii: ",")) }
            writer.key(column)
            if let value = values[index] { writer.string(value) } else { writer.null() }
        }
        writer.raw("},\"headers\":{\"operation\":\"insert\",\"relation\":[\"public\",\"t/x\"]")
        if let mark {
            writer.raw(",\"snapshot_mark\":")
            writer.integer(mark)
        }
        writer.raw("}}")
        return writer.bytes
    }

    /// Every mix of NULLs and strings (escapes, `/`, multibyte) over zero to four columns, with
    /// and without a snapshot mark, renders exactly as the piece-by-piece reference and parses.
    @Test func everyMixOfNullsAndStringsRendersAsTheReference() throws {
        let texts: [String?] = [nil, "", "plain", "q\"b\\t\tn\nc\u{1}", "a/b//", "é ü ✓"]
        for count in 0...4 {
            let columns = (0..<count).map { "c\($0)" }
            let primaryKey = count == 0 ? [] : ["c0"]
            let renderer = SnapshotRowRenderer(schema: "public", table: "t/x", columns: columns, primaryKey: primaryKey)
            var row: [String?] = Array(repeating: nil, count: count)
            var writer = JSONWriter()
            // Every combination of `texts` over the columns (6^count rows, at most 1,296).
            var combination = 0
            repeat {
                var rest = combination
                for index in 0..<count {
                    row[index] = texts[rest % texts.count]
                    rest /= texts.count
                }
                let mark: Int? = combination % 3 == 0 ? combination : nil
                writer.bytes.removeAll(keepingCapacity: true)
                renderer.render(row, snapshotMark: mark, into: &writer)
                let expected = Self.reference(columns: columns, primaryKey: primaryKey, values: row, mark: mark)
                #expect(writer.bytes == expected, "\(row)")
                #expect(try JSONSerialization.jsonObject(with: Data(writer.bytes)) is [String: Any])
                combination += 1
            } while combination < Int(pow(Double(texts.count), Double(count)))
        }
    }
}

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
        var key: [UInt8] = []
        let rows: [[String?]] = [["1", "é ü", "x"], [nil, "", "\u{1}"]]
        for row in rows {
            writer.bytes.removeAll(keepingCapacity: true)
            renderer.render(row, into: &writer, key: &key)
            #expect(writer.bytes == renderer.render(row))
        }
        let marked = String(decoding: renderer.render(["1", "n", "x"], snapshotMark: 7), as: UTF8.self)
        #expect(marked.hasSuffix(#""relation":["public","t/x"],"snapshot_mark":7}}"#))
        #expect(String(decoding: renderer.render([nil, "n", "x"]), as: UTF8.self).hasPrefix(#"{"key":"\"public\".\"t/x\"/_""#))
    }
}

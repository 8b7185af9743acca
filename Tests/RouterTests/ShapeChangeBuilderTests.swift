import ConduitCore
import Foundation
import Spool
import Testing
import WhereClause

@testable import Router

struct ShapeChangeBuilderTests {
    static let relation = PgOutputMessage.Relation(
        relationID: 42, namespace: "public", name: "items", replicaIdentity: .full,
        columns: [
            .init(flags: 1, name: "id", typeOID: 23, typeModifier: -1),
            .init(flags: 0, name: "title", typeOID: 25, typeModifier: -1),
            .init(flags: 0, name: "done", typeOID: 16, typeModifier: -1),
        ])

    static func metadata(columns: [String] = ["id", "title", "done"], replica: ReplicaMode = .default) -> ShapeMetadata {
        ShapeMetadata(
            handle: "h", definition: ShapeDefinition(schema: "public", table: "items", replica: replica),
            relationID: 42, primaryKey: ["id"], columns: columns, schemaHeader: "{}", normalizedWhere: nil)
    }

    static func row(_ values: String?...) -> [TupleData.Column] {
        values.map { $0.map { .text(Array($0.utf8)[...]) } ?? .null }
    }

    static func builder(replica: ReplicaMode = .default, columns: [String] = ["id", "title", "done"], filter: RowFilter? = nil)
        -> ShapeChangeBuilder
    {
        ShapeChangeBuilder(
            layout: ShapeLayout(metadata: metadata(columns: columns, replica: replica), relation: relation)!,
            replica: replica, filter: filter)
    }

    static func json(_ entry: PendingEntry, last: Bool = false) throws -> [String: Any] {
        let layout = ShapeLayout(metadata: metadata(), relation: relation)!
        var writer = JSONWriter()
        ChangeRenderer.render(entry, layout: layout, into: &writer, lsn: Array("100".utf8), xid: 7, last: last)
        return try JSONSerialization.jsonObject(with: Data(writer.bytes)) as! [String: Any]
    }

    /// Rows whose `done` column is `t`.
    static let onlyDone = RowFilter(columns: ["done"]) { $0[0] == "t" }

    @Test func insertCarriesTheWholeSelectedRow() throws {
        let entries = try Self.builder().insert(new: Self.row("1", "a", nil), op: 4, lsn: LSN(100))
        #expect(entries.count == 1)
        let message = try Self.json(entries[0], last: true)
        #expect(message["key"] as? String == #""public"."items"/"1""#)
        let value = message["value"] as! [String: Any]
        #expect(value["id"] as? String == "1" && value["title"] as? String == "a")
        #expect(value["done"] is NSNull)
        let headers = message["headers"] as! [String: Any]
        #expect(headers["operation"] as? String == "insert")
        #expect(headers["lsn"] as? String == "100")
        #expect(headers["op_position"] as? Int == 4)
        #expect(headers["txids"] as? [Int] == [7])
        #expect(headers["last"] as? Bool == true)
        #expect(entries[0].offset == LogOffset(tx: 100, op: 4))
    }

    @Test func defaultUpdateSendsKeyAndChangedColumnsOnly() throws {
        let entries = try Self.builder().update(
            old: Self.row("1", "a", "f"), isFullRow: true, new: Self.row("1", "b", "f"), op: 0, lsn: LSN(100))
        #expect(entries.count == 1)
        let message = try Self.json(entries[0])
        #expect(message["value"] as? [String: String] == ["id": "1", "title": "b"])
        #expect(message["old_value"] == nil)
        #expect((message["headers"] as! [String: Any])["last"] == nil)
    }

    @Test func fullUpdateSendsWholeRowAndOldValuesOfChangedColumns() throws {
        let entries = try Self.builder(replica: .full).update(
            old: Self.row("1", "a", "f"), isFullRow: true, new: Self.row("1", "b", "f"), op: 0, lsn: LSN(100))
        let message = try Self.json(entries[0])
        #expect(message["value"] as? [String: String] == ["id": "1", "title": "b", "done": "f"])
        #expect(message["old_value"] as? [String: String] == ["title": "a"])
    }

    @Test func updateOfUnselectedColumnsIsDropped() throws {
        let entries = try Self.builder(columns: ["id", "title"]).update(
            old: Self.row("1", "a", "f"), isFullRow: true, new: Self.row("1", "a", "t"), op: 0, lsn: LSN(100))
        #expect(entries.isEmpty)
    }

    @Test func keyChangeBecomesDeleteThenInsert() throws {
        let entries = try Self.builder().update(
            old: Self.row("1", "a", "f"), isFullRow: true, new: Self.row("2", "a", "f"), op: 6, lsn: LSN(100))
        #expect(entries.count == 2)
        let delete = try Self.json(entries[0])
        let insert = try Self.json(entries[1])
        #expect((delete["headers"] as! [String: Any])["operation"] as? String == "delete")
        #expect((delete["headers"] as! [String: Any])["key_change_to"] as? String == #""public"."items"/"2""#)
        #expect(delete["value"] as? [String: String] == ["id": "1"])
        #expect((insert["headers"] as! [String: Any])["key_change_from"] as? String == #""public"."items"/"1""#)
        #expect(insert["value"] as? [String: String] == ["id": "2", "title": "a", "done": "f"])
        #expect(entries[0].offset.op == 6 && entries[1].offset.op == 7)
    }

    /// `done` compiled: one exact condition, decided on the row's bytes without the evaluator.
    static let compiledDone: RowFilter = {
        let columns = [
            WhereColumn(name: "id", typeName: "int4"), WhereColumn(name: "title", typeName: "text"),
            WhereColumn(name: "done", typeName: "bool"),
        ]
        return CompiledFilter(clause: try! WhereClause.compile("done", columns: columns)).rowFilter
    }()

    @Test func compiledEqualityIsDecidedOnTheRowsText() {
        #expect(Self.compiledDone.exactTexts?.all == [Array("t".utf8)])
        #expect(Self.compiledDone.columns == ["done"])
    }

    @Test(arguments: [onlyDone, compiledDone])
    func movesAcrossTheWhereClauseBecomeInsertsAndDeletes(filter: RowFilter) throws {
        let builder = Self.builder(filter: filter)
        let entering = try builder.update(
            old: Self.row("1", "a", "f"), isFullRow: true, new: Self.row("1", "a", "t"), op: 0, lsn: LSN(100))
        #expect(try Self.json(entering[0])["headers"].map { ($0 as! [String: Any])["operation"] as? String } == "insert")
        #expect(try Self.json(entering[0])["value"] as? [String: String] == ["id": "1", "title": "a", "done": "t"])
        let leaving = try builder.update(
            old: Self.row("1", "a", "t"), isFullRow: true, new: Self.row("1", "a", "f"), op: 0, lsn: LSN(100))
        #expect(try Self.json(leaving[0])["value"] as? [String: String] == ["id": "1"])
        #expect(try builder.update(old: Self.row("1", "a", "f"), isFullRow: true, new: Self.row("1", "b", "f"), op: 0, lsn: LSN(1)).isEmpty)
        #expect(try builder.insert(new: Self.row("2", "x", "f"), op: 0, lsn: LSN(1)).isEmpty)
        #expect(try builder.delete(old: Self.row("2", "x", "f"), isFullRow: true, op: 0, lsn: LSN(1)).isEmpty)
        #expect(try builder.insert(new: Self.row("3", "x", nil), op: 0, lsn: LSN(1)).isEmpty)
        #expect(try builder.insert(new: Self.row("4", "x", "t"), op: 0, lsn: LSN(1)).count == 1)
    }

    @Test func unchangedToastTakesTheOldValue() throws {
        let new: [TupleData.Column] = [.text(Array("1".utf8)[...]), .unchangedToast, .text(Array("t".utf8)[...])]
        let entries = try Self.builder(replica: .full).update(
            old: Self.row("1", "long", "f"), isFullRow: true, new: new, op: 0, lsn: LSN(100))
        let message = try Self.json(entries[0])
        #expect(message["value"] as? [String: String] == ["id": "1", "title": "long", "done": "t"])
        #expect(message["old_value"] as? [String: String] == ["done": "f"])
    }

    @Test func keysEscapeSlashesAndNulls() throws {
        let relation = PgOutputMessage.Relation(
            relationID: 1, namespace: "a", name: "b", replicaIdentity: .default,
            columns: ["k1", "k2", "k3", "k4"].map { .init(flags: 1, name: $0, typeOID: 25, typeModifier: -1) })
        let metadata = ShapeMetadata(
            handle: "h", definition: ShapeDefinition(schema: "a", table: "b"), relationID: 1,
            primaryKey: ["k1", "k2", "k3", "k4"], columns: ["k1", "k2", "k3", "k4"], schemaHeader: "{}", normalizedWhere: nil)
        let layout = try #require(ShapeLayout(metadata: metadata, relation: relation))
        var writer = JSONWriter()
        ChangeRenderer.key(Self.row("x/y", nil, "", #"q"/\"#), layout: layout, into: &writer)
        let key = try JSONSerialization.jsonObject(with: Data(writer.bytes), options: .fragmentsAllowed) as? String
        #expect(key == #""a"."b"/"x//y"/_/""/"q"//\""#)
    }

    @Test func anOpenEntryTakesItsLastHeaderWhereRenderingSaidItGoes() throws {
        let entry = try Self.builder().insert(new: Self.row("1", "a", nil), op: 4, lsn: LSN(100))[0]
        let layout = ShapeLayout(metadata: Self.metadata(), relation: Self.relation)!
        var open = JSONWriter()
        let insertion = ChangeRenderer.render(entry, layout: layout, into: &open, lsn: Array("100".utf8), xid: 7, last: false)
        var closed = JSONWriter()
        ChangeRenderer.render(entry, layout: layout, into: &closed, lsn: Array("100".utf8), xid: 7, last: true)
        ChangeRenderer.lastTrue.withUTF8Buffer { open.bytes.insert(contentsOf: $0, at: insertion) }
        #expect(open.bytes == closed.bytes)
    }

    @Test func snapshotEndCarriesTheSnapshot() throws {
        let bytes = ChangeRenderer.snapshotEnd(SnapshotVisibility(xmin: 5, xmax: 9, xip: [6, 7]))
        let message = try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
        let headers = message["headers"] as! [String: Any]
        #expect(headers["control"] as? String == "snapshot-end")
        #expect(headers["xmin"] as? String == "5")
        #expect(headers["xip_list"] as? [String] == ["6", "7"])
    }
}

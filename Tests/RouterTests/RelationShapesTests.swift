import ConduitCore
import Spool
import TestSupport
import Testing
import WhereClause

@testable import Router

/// ``RelationShapes``: which shapes a row change is offered to, and ``ShapeLayoutTable``'s
/// sharing of layouts between shapes of one table.
struct RelationShapesTests {
    static let columns: [PgOutputMessage.Relation.Column] = [
        .init(flags: 1, name: "id", typeOID: 23, typeModifier: -1),
        .init(flags: 0, name: "owner_id", typeOID: 23, typeModifier: -1),
        .init(flags: 0, name: "title", typeOID: 25, typeModifier: -1),
    ]
    static let whereColumns = [
        WhereColumn(name: "id", typeName: "int4"), WhereColumn(name: "owner_id", typeName: "int4"),
        WhereColumn(name: "title", typeName: "text"),
    ]
    static let names = columns.map(\.name)

    /// A shape on `items` with `clause` (nil: the whole table), its change log in `directory`.
    static func shape(_ handle: String, _ clause: String?, columns: [String] = names, in directory: String) throws
        -> (ActiveShape, [IndexableCondition])
    {
        let compiled = try clause.map { CompiledFilter(clause: try WhereClause.compile($0, columns: whereColumns)) }
        let shapeDirectory = directory + "/" + handle
        try FileSystem.createDirectory(shapeDirectory)
        let metadata = ShapeMetadata(
            handle: handle,
            definition: ShapeDefinition(
                schema: "public", table: "items", whereClause: clause, columns: columns == names ? nil : columns),
            relationID: 7, primaryKey: ["id"], columns: columns, schemaHeader: "{}", normalizedWhere: compiled?.normalized)
        let shape = ActiveShape(
            metadata: metadata, changes: try ChangeLogWriter(directory: shapeDirectory, chunkThresholdBytes: 1 << 20),
            filter: compiled?.rowFilter, visibility: nil)
        return (shape, compiled?.indexable ?? [])
    }

    static func row(_ id: String, _ owner: String?, _ title: String = "t") -> [TupleData.Column] {
        [.text(Array(id.utf8)[...]), owner.map { .text(Array($0.utf8)[...]) } ?? .null, .text(Array(title.utf8)[...])]
    }

    static func handles(_ shapes: [ActiveShape]) -> [String] { shapes.map(\.handle).sorted() }

    @Test func aRowIsOfferedToItsValuesShapesAndTheUnindexedOnes() throws {
        try withUniqueTestDirectory { directory in
            let table = RelationShapes()
            for (handle, clause) in [
                ("one", "owner_id = 1"), ("also-one", "owner_id = 1 AND title = 'x'"), ("two", "owner_id = 2"),
                ("one-or-three", "owner_id IN (1, 3)"), ("any", "title <> 'x'"), ("all", nil),
            ] as [(String, String?)] {
                let (shape, conditions) = try Self.shape(handle, clause, in: directory)
                table.add(shape, conditions: conditions)
            }
            #expect(
                Self.handles(table.candidates(row: Self.row("1", "1"), old: nil, names: Self.names))
                    == ["all", "also-one", "any", "one", "one-or-three"])
            #expect(Self.handles(table.candidates(row: Self.row("1", "3"), old: nil, names: Self.names)) == ["all", "any", "one-or-three"])
            #expect(Self.handles(table.candidates(row: Self.row("1", "9"), old: nil, names: Self.names)) == ["all", "any"])
            #expect(Self.handles(table.candidates(row: Self.row("1", nil), old: nil, names: Self.names)) == ["all", "any"])
        }
    }

    @Test func anUpdatesTwoImagesNameEachShapeOnce() throws {
        try withUniqueTestDirectory { directory in
            let table = RelationShapes()
            for (handle, clause) in [("one", "owner_id = 1"), ("two", "owner_id = 2"), ("both", "owner_id IN (1, 2)")] {
                let (shape, conditions) = try Self.shape(handle, clause, in: directory)
                table.add(shape, conditions: conditions)
            }
            // Same value in both images, then a move from 1 to 2.
            let same = table.candidates(row: Self.row("5", "1", "new"), old: Self.row("5", "1", "old"), names: Self.names)
            #expect(Self.handles(same) == ["both", "one"])
            let moved = table.candidates(row: Self.row("5", "2"), old: Self.row("5", "1"), names: Self.names)
            #expect(Self.handles(moved) == ["both", "one", "two"])
        }
    }

    @Test func removedShapesAreNoLongerOffered() throws {
        try withUniqueTestDirectory { directory in
            let table = RelationShapes()
            let (one, conditions) = try Self.shape("one", "owner_id = 1", in: directory)
            let (other, otherConditions) = try Self.shape("other", "owner_id = 1", in: directory)
            table.add(one, conditions: conditions)
            table.add(other, conditions: otherConditions)
            table.remove(one)
            #expect(Self.handles(table.candidates(row: Self.row("1", "1"), old: nil, names: Self.names)) == ["other"])
            table.remove(other)
            #expect(table.candidates(row: Self.row("1", "1"), old: nil, names: Self.names).isEmpty)
            #expect(table.isEmpty)
        }
    }

    @Test func shapesWithTheSameColumnsShareOneLayout() throws {
        try withUniqueTestDirectory { directory in
            let relation = PgOutputMessage.Relation(
                relationID: 7, namespace: "public", name: "items", replicaIdentity: .full, columns: Self.columns)
            let (first, _) = try Self.shape("first", "owner_id = 1", in: directory)
            let (second, _) = try Self.shape("second", "owner_id = 2", in: directory)
            let (narrow, _) = try Self.shape("narrow", nil, columns: ["id", "title"], in: directory)
            #expect(first.resolve(relation: relation) && second.resolve(relation: relation) && narrow.resolve(relation: relation))
            func storage(_ shape: ActiveShape) -> UnsafeRawPointer? {
                shape.builder?.layout.columnKeys.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
            }
            #expect(storage(first) != nil && storage(first) == storage(second))
            #expect(first.builder?.layout.selected == [0, 1, 2] && narrow.builder?.layout.selected == [0, 2])
            // A table whose columns changed gets a layout of its own.
            var renamed = relation
            renamed.columns[2] = .init(flags: 0, name: "heading", typeOID: 25, typeModifier: -1)
            #expect(ShapeLayout.shared(metadata: narrow.metadata, relation: renamed) == nil)
        }
    }
}

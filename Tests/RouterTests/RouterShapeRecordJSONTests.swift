import ConduitCore
import Foundation
import TestSupport
import Testing
import WhereClause

@testable import Router

/// Router's record of a shape (in the shape's document; `router.json` for older shapes) is read at
/// start-up by ``JSONReadable`` instead of `JSONDecoder`: for everything JSONEncoder writes, and
/// for every document one edit away from it, both must agree. New documents are written by
/// ``JSONWritable``, which must write what `JSONEncoder` writes.
struct RouterShapeRecordJSONTests {
    static func randomRecord(_ random: inout SeededTestRandom, everyField: Bool = false) -> RouterShapeRecord {
        let columns = (0..<Int.random(in: 0...4, using: &random)).map { _ in
            WhereColumn(
                name: random.awkwardString(), typeName: random.awkwardString(), isArray: Bool.random(using: &random),
                isEnum: Bool.random(using: &random))
        }
        let visibility = SnapshotVisibility(
            xmin: random.edgyInteger(), xmax: random.edgyInteger(),
            xip: (0..<Int.random(in: 0...4, using: &random)).map { _ in random.edgyInteger() },
            horizon: everyField || Bool.random(using: &random) ? LSN(random.edgyInteger()) : nil)
        let origin = RouterShapeRecord.ReplayOrigin(
            spool: everyField || Bool.random(using: &random)
                ? SpoolPosition(segment: LSN(random.edgyInteger()), offset: random.edgyInteger()) : nil,
            commitEnd: LSN(random.edgyInteger()))
        var record = RouterShapeRecord(
            identity: random.awkwardString(maximumLength: 50), columns: columns, visibility: visibility,
            replayFrom: everyField || Bool.random(using: &random) ? origin : nil)
        if everyField {
            record.columns?.append(RouterShapeRecord.Column(name: "id", typeName: "int4", isArray: false, isEnum: false))
        } else {
            // Records of earlier releases: no version, identity or columns.
            if Bool.random(using: &random) { record.version = Bool.random(using: &random) ? nil : random.edgyInteger() }
            if Int.random(in: 0..<4, using: &random) == 0 { record.identity = nil }
            if Int.random(in: 0..<4, using: &random) == 0 { record.columns = nil }
            if Int.random(in: 0..<4, using: &random) == 0 { record.visibility = nil }
        }
        return record
    }

    @Test func readsWhatJSONEncoderWritesAsJSONDecoderDoes() throws {
        var random = SeededTestRandom(seed: 21)
        for _ in 0..<200 {
            let record = Self.randomRecord(&random)
            for bytes in try JSONAgreement.encodings(record) {
                #expect(Self.same(try RouterShapeRecord(jsonBytes: bytes), record), "\(String(decoding: bytes, as: UTF8.self))")
                #expect(Self.same(try JSONDecoder().decode(RouterShapeRecord.self, from: Data(bytes)), record))
            }
        }
    }

    @Test func agreesWithJSONDecoderOnEveryOneEditVariant() throws {
        var random = SeededTestRandom(seed: 22)
        for _ in 0..<12 {
            let document = try JSONValue(parsing: [UInt8](JSONEncoder().encode(Self.randomRecord(&random, everyField: true))))
            #expect(JSONAgreement.disagreements(RouterShapeRecord.self, onEditsOf: document, same: Self.same) == [])
        }
    }

    @Test func damagedTextIsNeverReadAsAnotherRecord() throws {
        var random = SeededTestRandom(seed: 23)
        for _ in 0..<300 {
            var damaged = [UInt8](try JSONEncoder().encode(Self.randomRecord(&random)))
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                damaged[Int.random(in: damaged.indices, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            #expect(JSONAgreement.disagreement(RouterShapeRecord.self, damaged, fastMayRefuse: true, same: Self.same) == nil)
        }
    }

    static let metadata = ShapeMetadata(
        handle: "12-34", definition: ShapeDefinition(schema: "public", table: "items", whereClause: "id > $1", params: [1: "5"]),
        relationID: 16384, primaryKey: ["id"], columns: ["id", "title"], schemaHeader: "{}", normalizedWhere: "id > '5'",
        stateRecord: 3)

    /// New shapes keep the record in `shape.json`, beside the definition serve reads (which
    /// ignores it); reading the folder returns both from one document.
    @Test func readsTheRecordBesideTheDefinition() throws {
        let directory = try TemporaryDirectory(prefix: "record")
        defer { directory.remove() }
        var random = SeededTestRandom(seed: 24)
        let record = Self.randomRecord(&random, everyField: true)
        try Self.metadata.write(toDirectory: directory.path, durable: false, routerRecord: record)
        let (metadata, read) = try #require(try RouterShapeRecord.readShape(fromDirectory: directory.path))
        #expect(metadata == Self.metadata)
        #expect(Self.same(try #require(read), record))
        #expect(try ShapeMetadata.read(fromDirectory: directory.path) == Self.metadata)
        #expect(!FileManager.default.fileExists(atPath: RouterShapeRecord.legacyPath(directory.path)))
    }

    /// A shape of an earlier release: `shape.json` without the record, `router.json` beside it. A
    /// record that is not JSON names its file.
    @Test func readsTheRecordOfAnEarlierReleaseAndNamesItsFileWhenItCannot() throws {
        let directory = try TemporaryDirectory(prefix: "record")
        defer { directory.remove() }
        var random = SeededTestRandom(seed: 25)
        let record = Self.randomRecord(&random, everyField: true)
        try Self.metadata.write(toDirectory: directory.path, durable: false)
        #expect(try RouterShapeRecord.readShape(fromDirectory: directory.path)?.record == nil)
        try ChecksummedFile.write(
            path: RouterShapeRecord.legacyPath(directory.path), payload: [UInt8](try JSONEncoder().encode(record)), durable: false)
        #expect(Self.same(try #require(try RouterShapeRecord.readShape(fromDirectory: directory.path)?.record), record))
        try ChecksummedFile.write(path: RouterShapeRecord.legacyPath(directory.path), payload: Array(#"{"version":2,"#.utf8), durable: false)
        let error = try #require(throws: JSONReadError.self) { try RouterShapeRecord.readShape(fromDirectory: directory.path) }
        #expect(error.description.hasPrefix(RouterShapeRecord.legacyPath(directory.path) + ": invalid JSON at byte 13"), "\(error)")
    }

    /// A new shape's document is written by ``JSONWritable``, not `JSONEncoder`: the same JSON
    /// (members in any order, nil members left out) as `JSONEncoder` writes for the same metadata
    /// and record — awkward strings, edgy integers, parameters, optional fields absent and present
    /// — and both readers read it back.
    @Test func theDocumentIsWhatJSONEncoderWrites() throws {
        var random = SeededTestRandom(seed: 26)
        for index in 0..<300 {
            let record = Self.randomRecord(&random, everyField: index % 3 == 0)
            var metadata = Self.metadata
            metadata.handle = random.awkwardString()
            metadata.schemaHeader = random.awkwardString(maximumLength: 40)
            metadata.relationID = random.edgyInteger()
            metadata.primaryKey = (0..<Int.random(in: 0...3, using: &random)).map { _ in random.awkwardString() }
            metadata.normalizedWhere = Bool.random(using: &random) ? random.awkwardString() : nil
            metadata.stateRecord = Bool.random(using: &random) ? random.edgyInteger() : nil
            metadata.definition.whereClause = Bool.random(using: &random) ? random.awkwardString() : nil
            metadata.definition.params = Dictionary(
                uniqueKeysWithValues: (0..<Int.random(in: 0...12, using: &random)).map { ($0 + 1, random.awkwardString()) })
            metadata.definition.columns = Bool.random(using: &random) ? ["id", random.awkwardString()] : nil
            metadata.definition.replica = Bool.random(using: &random) ? .full : .default
            metadata.definition.log = Bool.random(using: &random) ? .changesOnly : .full
            let written = metadata.document(routerRecord: record)
            guard case .object(var expected) = try JSONValue(parsing: [UInt8](JSONEncoder().encode(metadata))) else {
                Issue.record("metadata did not encode as an object")
                return
            }
            expected.append(.init(key: ShapeMetadata.routerRecordKey, value: try JSONValue(parsing: [UInt8](JSONEncoder().encode(record)))))
            #expect(Self.sorted(try JSONValue(parsing: written)) == Self.sorted(.object(expected)), "\(String(decoding: written, as: UTF8.self))")
            #expect(try ShapeMetadata(json: JSONDocument(parsing: written).root) == metadata)
            let decoded = try JSONObject(JSONDocument(parsing: written).root).decodeIfPresent(
                ShapeMetadata.routerRecordKey, as: RouterShapeRecord.self)
            #expect(Self.same(try #require(decoded), record))
        }
    }

    /// `value` with every object's members sorted by key: `JSONEncoder` writes a dictionary's
    /// members in hash order.
    static func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.map { .init(key: $0.key, value: sorted($0.value)) }.sorted { $0.key < $1.key })
        case .array(let elements):
            return .array(elements.map(sorted))
        default:
            return value
        }
    }

    /// `RouterShapeRecord` is not `Equatable` (nothing else needs it): compared through its
    /// canonical encoding.
    static func same(_ left: RouterShapeRecord, _ right: RouterShapeRecord) -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(left)) == (try? encoder.encode(right))
    }
}

import Foundation
import TestSupport
import Testing

@testable import ConduitCore

/// A new shape's document (definition and router's record) is the first frame of its version-2
/// `changes.log`: read back from there, kept by reopening and recovery, never mistaken for an
/// entry, and damage to it is reported naming the file. A version-1 log leaves the document to
/// `shape.json`, as an earlier release wrote it.
struct ChangeLogDocumentTests {
    typealias Support = ShapeLogTestSupport

    static let metadata = ShapeMetadata(
        handle: "123-456",
        definition: ShapeDefinition(schema: "public", table: "items", whereClause: "id > $1", params: [1: "5"], replica: .full),
        relationID: 16384,
        primaryKey: ["id"],
        columns: ["id", "title"],
        schemaHeader: "{\"id\":{\"type\":\"int4\",\"pk_index\":0}}",
        normalizedWhere: "id > '5'"
    )

    /// Stands in for router's record (the document holds whatever router writes under its key).
    struct Record: JSONWritable {
        var identity = "the identity"

        func write(to writer: inout JSONWriter) {
            writer.object { $0.add("identity", identity) }
        }
    }

    static func writer(_ directory: String, document: [UInt8]? = nil) throws -> ChangeLogWriter {
        try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20, document: document, durableCreation: false)
    }

    @Test func theDocumentIsReadFromTheChangeLogAndEntriesFollowIt() throws {
        try Support.withTemporaryDirectory { directory in
            try ChangeLogTests.finishedSnapshot(directory)
            let document = Self.metadata.document(routerRecord: Record())
            let writer = try Self.writer(directory, document: document)
            let start = UInt64(ShapeLogFormat.fileHeaderSize + ShapeLogFormat.frameHeaderSize + document.count)
            #expect(writer.committedState.byteLength == start)
            #expect(!FileManager.default.fileExists(atPath: ShapeLogFiles(directory: directory).metadata))
            #expect(try ShapeMetadata.read(fromDirectory: directory) == Self.metadata)
            #expect(try ChangeLogDocument.read(path: ShapeLogFiles(directory: directory).changeLog) == document)

            try writer.append(offset: Support.offset("100_0"), json: ChangeLogTests.entry("100_0"))
            try writer.commit(appliedThroughLSN: LSN(100))
            let reader = ShapeLogReader(directory: directory)
            let plan = try #require(Support.ready(try reader.plan(after: .snapshotEnd)))
            #expect(Support.strings(try reader.readEntries(plan)) == [String(decoding: ChangeLogTests.entry("100_0"), as: UTF8.self)])
            #expect(String(decoding: try reader.readJoined(plan), as: UTF8.self) == String(decoding: ChangeLogTests.entry("100_0"), as: UTF8.self))

            // Reopened (a restart: no document passed), the log keeps its document and entries.
            let reopened = try Self.writer(directory)
            #expect(reopened.committedState == writer.committedState)
            try reopened.append(offset: Support.offset("200_0"), json: ChangeLogTests.entry("200_0"))
            try reopened.commit(appliedThroughLSN: LSN(200))
            #expect(try reader.readEntries(try #require(Support.ready(try reader.plan(after: .snapshotEnd)))).count == 2)
            #expect(try ShapeMetadata.read(fromDirectory: directory) == Self.metadata)
        }
    }

    /// A document larger than the reader's first read (4 KiB) is read whole.
    @Test func aLongDocumentIsReadWhole() throws {
        try Support.withTemporaryDirectory { directory in
            var metadata = Self.metadata
            metadata.schemaHeader = "{\"id\":{\"type\":\"int4\",\"pk_index\":0,\"pad\":\"" + String(repeating: "p", count: 10_000) + "\"}}"
            let document = metadata.document(routerRecord: Record())
            #expect(document.count > 10_000)
            _ = try Self.writer(directory, document: document)
            #expect(try ShapeMetadata.read(fromDirectory: directory) == metadata)
        }
    }

    /// A flipped byte in the document fails its checksum: an error naming `changes.log`, never a
    /// different definition.
    @Test func aDamagedDocumentIsReportedWithItsFile() throws {
        try Support.withTemporaryDirectory { directory in
            _ = try Self.writer(directory, document: Self.metadata.document(routerRecord: Record()))
            let path = ShapeLogFiles(directory: directory).changeLog
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let digit = try #require(bytes[16...].firstIndex(of: UInt8(ascii: "4")))
            bytes[digit] = UInt8(ascii: "5")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(throws: ShapeLogError.corrupt(path: path, detail: "checksum mismatch in frame at relative byte 0")) {
                try ShapeMetadata.read(fromDirectory: directory)
            }
        }
    }

    /// A length past any document (a damaged length field) is refused, not allocated.
    @Test func anImpossibleLengthIsRefused() throws {
        try Support.withTemporaryDirectory { directory in
            _ = try Self.writer(directory, document: Self.metadata.document(routerRecord: Record()))
            let path = ShapeLogFiles(directory: directory).changeLog
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes.withUnsafeMutableBytes { $0.storeInteger(UInt32.max, at: ShapeLogFormat.fileHeaderSize, .littleEndian) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(throws: ShapeLogError.corrupt(path: path, detail: "shape document of \(UInt32.max) bytes")) {
                try ChangeLogDocument.read(path: path)
            }
            #expect(throws: ShapeLogError.corrupt(path: path, detail: "shape document of \(UInt32.max) bytes")) {
                try Self.writer(directory)
            }
        }
    }

    /// A version-1 log (an earlier release's shape) has no document: the definition comes from
    /// `shape.json`, and the log's entries start right after its header.
    @Test func aVersionOneLogLeavesTheDocumentToShapeJSON() throws {
        try Support.withTemporaryDirectory { directory in
            let writer = try Self.writer(directory)
            #expect(writer.committedState == .empty)
            #expect(try ChangeLogDocument.read(path: ShapeLogFiles(directory: directory).changeLog) == nil)
            #expect(try ShapeMetadata.read(fromDirectory: directory) == nil)
            try Self.metadata.write(toDirectory: directory, durable: false)
            #expect(try ShapeMetadata.read(fromDirectory: directory) == Self.metadata)
        }
    }

    /// A committed length that ends inside the document is damage, reported when the log opens.
    @Test func aCommittedLengthInsideTheDocumentIsRefused() throws {
        try Support.withTemporaryDirectory { directory in
            let document = Self.metadata.document(routerRecord: Record())
            _ = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20, stateStore: .file, document: document)
            let files = ShapeLogFiles(directory: directory)
            try ShapeLogIO.atomicWrite(ChangeLogStateFile.initialFile(.empty, sequence: 0), to: files.changeState)
            #expect(throws: ShapeLogError.self) { try ChangeLogWriter(directory: directory, chunkThresholdBytes: 1 << 20) }
        }
    }
}

import Foundation
import Testing

@testable import ConduitCore

/// ``CommitJournal``: records read back exactly, torn or stale bytes never pass for a record,
/// and recovery writes an earlier boot's records into the shape files before emptying it.
@Suite struct CommitJournalTests {
    /// A storage directory with `shapes/` and one shape file, removed afterwards.
    final class Storage {
        let root = NSTemporaryDirectory() + "conduit-journal-\(UUID().uuidString)"
        var shapes: String { root + "/shapes" }
        var journalPath: String { shapes + "/.journal" }

        init() throws {
            try FileManager.default.createDirectory(atPath: shapes + "/a", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: shapes + "/b", withIntermediateDirectories: true)
            try Data(repeating: 0, count: 64).write(to: URL(fileURLWithPath: shapes + "/a/changes.log"))
            try Data(repeating: 0, count: 64).write(to: URL(fileURLWithPath: shapes + "/b/changes.log"))
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        func read(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
        func write(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
    }

    static func append(_ journal: CommitJournal, _ writes: [(String, UInt64, String)]) throws {
        var record = try journal.beginRecord()
        for (path, offset, text) in writes {
            #expect(try record.add(path: journal.shapesDirectory + "/" + path, offset: offset, data: Array(text.utf8)))
        }
        try journal.append(&record)
    }

    @Test func recordsAreReadBackInOrder() throws {
        let storage = try Storage()
        let journal = try CommitJournal(path: storage.journalPath, shapes: storage.shapes)
        #expect(!journal.hasRecords)
        try Self.append(journal, [("a/changes.log", 8, "one"), ("b/changes.log", 16, "two")])
        try Self.append(journal, [("a/changes.log", 11, "three")])
        #expect(journal.hasRecords)
        let writes = try #require(CommitJournal.writes(inFile: try storage.read(storage.journalPath)))
        #expect(
            writes == [
                .init(path: "a/changes.log", offset: 8, bytes: Array("one".utf8)),
                .init(path: "b/changes.log", offset: 16, bytes: Array("two".utf8)),
                .init(path: "a/changes.log", offset: 11, bytes: Array("three".utf8)),
            ])
        #expect(try PosixFile.openForReading(storage.journalPath).size() == journal.end)
    }

    @Test func aFileOutsideTheShapesFolderIsNotJournaled() throws {
        let storage = try Storage()
        let journal = try CommitJournal(path: storage.journalPath, shapes: storage.shapes)
        var record = try journal.beginRecord()
        #expect(try !record.add(path: storage.root + "/elsewhere/changes.log", offset: 0, data: [1]))
        #expect(record.isEmpty)
    }

    @Test func aTornRecordEndsTheJournal() throws {
        let storage = try Storage()
        let journal = try CommitJournal(path: storage.journalPath, shapes: storage.shapes)
        try Self.append(journal, [("a/changes.log", 8, "kept")])
        let end = journal.end
        try Self.append(journal, [("b/changes.log", 8, String(repeating: "x", count: 100))])
        var bytes = try storage.read(storage.journalPath)
        bytes.removeLast(10)
        #expect(CommitJournal.writes(inFile: bytes)?.map(\.path) == ["a/changes.log"])
        // A damaged byte inside the second record: the same.
        bytes = try storage.read(storage.journalPath)
        bytes[Int(end) + 20] ^= 0xFF
        #expect(CommitJournal.writes(inFile: bytes)?.map(\.path) == ["a/changes.log"])
    }

    /// A record begun and never appended (a commit that failed) leaves bytes past the end; the
    /// next record starts where the journal ends and the file is cut there first.
    @Test func anAbandonedRecordIsCutOffBeforeTheNext() throws {
        let storage = try Storage()
        let journal = try CommitJournal(path: storage.journalPath, shapes: storage.shapes)
        var abandoned = try journal.beginRecord()
        let big = [UInt8](repeating: 7, count: CommitJournal.writeSize + 10)
        #expect(try abandoned.add(path: storage.shapes + "/a/changes.log", offset: 0, data: big))
        #expect(try PosixFile.openForReading(storage.journalPath).size() > journal.end, "written in pieces while built")
        try Self.append(journal, [("b/changes.log", 4, "new")])
        #expect(CommitJournal.writes(inFile: try storage.read(storage.journalPath))?.map(\.path) == ["b/changes.log"])
        #expect(try PosixFile.openForReading(storage.journalPath).size() == journal.end)
    }

    /// A record's payload writing `byte` at offset 0 of `path`, made by hand.
    static func payload(writing byte: UInt8, to path: String) -> [UInt8] {
        var payload: [UInt8] = []
        payload.appendInteger(UInt16(path.utf8.count), .littleEndian)
        payload += Array(path.utf8)
        payload.appendInteger(UInt64(0), .littleEndian)
        payload.appendInteger(UInt32(1), .littleEndian)
        payload.append(byte)
        return payload
    }

    /// The salt in the header is part of every record's checksum: bytes shaped like a record
    /// but checksummed without it (a row's text, an earlier journal's record) are not one.
    @Test func aRecordWithoutTheJournalsSaltIsNotARecord() throws {
        let storage = try Storage()
        _ = try CommitJournal(path: storage.journalPath, shapes: storage.shapes)
        let payload = Self.payload(writing: 42, to: "a/changes.log")
        var bytes = try storage.read(storage.journalPath)
        bytes.appendInteger(UInt32(payload.count), .littleEndian)
        bytes.appendInteger(CRC32C.checksum(payload), .littleEndian)
        bytes += payload
        #expect(CommitJournal.writes(inFile: bytes) == [])
    }

    /// A path that climbs out of `shapes/` makes its record invalid, whatever its checksum.
    @Test func aPathLeavingTheShapesFolderIsRefusedOnReading() throws {
        let storage = try Storage()
        _ = try CommitJournal(path: storage.journalPath, shapes: storage.shapes)
        var bytes = try storage.read(storage.journalPath)
        let salt = try #require(CommitJournal.parseHeader(bytes)).salt
        let payload = Self.payload(writing: 42, to: "../escaped!")
        bytes.appendInteger(UInt32(payload.count), .littleEndian)
        bytes.appendInteger(payload.withUnsafeBytes { CRC32C.update(CommitJournal.seed(salt: salt), $0) }, .littleEndian)
        bytes += payload
        #expect(CommitJournal.writes(inFile: bytes) == [])
    }

    /// Rewrites the journal's header as if it had been written in another boot.
    static func pretendEarlierBoot(_ storage: Storage) throws {
        var bytes = try storage.read(storage.journalPath)
        let salt = try #require(CommitJournal.parseHeader(bytes)).salt
        bytes.replaceSubrange(
            0..<CommitJournal.headerSize, with: CommitJournal.header(boot: Array("another-boot".utf8), host: BootIdentity.host, salt: salt))
        try storage.write(bytes, storage.journalPath)
    }

    @Test func recoveryAfterARebootWritesTheRecordsAgainThenEmptiesTheJournal() throws {
        let storage = try Storage()
        let journal = try CommitJournal(path: storage.journalPath, shapes: storage.shapes)
        try Self.append(journal, [("a/changes.log", 8, "lost"), ("gone/changes.log", 0, "removed shape")])
        try Self.append(journal, [("b/changes.log", 2, "bb"), ("a/changes.log", 20, "again")])
        #expect(try !CommitJournal.replayPending(path: storage.journalPath), "this boot's journal: the page cache holds it")
        try Self.pretendEarlierBoot(storage)
        #expect(try CommitJournal.replayPending(path: storage.journalPath))

        // The operating system lost the shape file's bytes (still zeros).
        let recovery = try CommitJournal.recover(path: storage.journalPath, shapes: storage.shapes)
        #expect(recovery == .init(writes: 4, replayed: 3, skipped: 1))
        let a = try storage.read(storage.shapes + "/a/changes.log")
        #expect(Array(a[8..<12]) == Array("lost".utf8))
        #expect(Array(a[20..<25]) == Array("again".utf8))
        #expect(Array(try storage.read(storage.shapes + "/b/changes.log")[2..<4]) == Array("bb".utf8))
        #expect(try PosixFile.openForReading(storage.journalPath).size() == UInt64(CommitJournal.headerSize))
        #expect(try !CommitJournal.replayPending(path: storage.journalPath))
    }

    /// A serve on another host than router's (sharing the storage) sees a journal of another
    /// boot all the time: it cannot wait for it. router, wherever it starts, still replays it.
    @Test func aJournalFromAnotherHostIsNotWaitedForButIsReplayed() throws {
        let storage = try Storage()
        let journal = try CommitJournal(path: storage.journalPath, shapes: storage.shapes)
        try Self.append(journal, [("a/changes.log", 8, "lost")])
        var bytes = try storage.read(storage.journalPath)
        let salt = try #require(CommitJournal.parseHeader(bytes)).salt
        let header = CommitJournal.header(boot: Array("router's host".utf8), host: BootIdentity.host &+ 1, salt: salt)
        bytes.replaceSubrange(0..<CommitJournal.headerSize, with: header)
        try storage.write(bytes, storage.journalPath)
        #expect(try !CommitJournal.replayPending(path: storage.journalPath))
        #expect(try CommitJournal.recover(path: storage.journalPath, shapes: storage.shapes).replayed == 1)
        #expect(Array(try storage.read(storage.shapes + "/a/changes.log")[8..<12]) == Array("lost".utf8))
    }

    @Test func recoveryInTheSameBootOnlyEmptiesTheJournal() throws {
        let storage = try Storage()
        let journal = try CommitJournal(path: storage.journalPath, shapes: storage.shapes)
        try Self.append(journal, [("a/changes.log", 8, "kept")])
        let recovery = try CommitJournal.recover(path: storage.journalPath, shapes: storage.shapes)
        #expect(recovery == .init(writes: 1, replayed: 0, skipped: 0))
        #expect(try storage.read(storage.shapes + "/a/changes.log") == [UInt8](repeating: 0, count: 64))
        #expect(try PosixFile.openForReading(storage.journalPath).size() == UInt64(CommitJournal.headerSize))
    }

    @Test func noJournalNothingToRecoverOrWaitFor() throws {
        let storage = try Storage()
        #expect(try CommitJournal.recover(path: storage.journalPath, shapes: storage.shapes) == .init())
        #expect(try !CommitJournal.replayPending(path: storage.journalPath))
        // An empty journal of an earlier boot names nothing to wait for either.
        _ = try CommitJournal(path: storage.journalPath, shapes: storage.shapes)
        try Self.pretendEarlierBoot(storage)
        #expect(try !CommitJournal.replayPending(path: storage.journalPath))
    }
}

import Foundation
import Testing

@testable import Shared

/// router keeps a writer per shape: writers must not pin file descriptors between operations.
struct ChangeLogDescriptorTests {
    static func openDescriptorCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/fd")))
    func idleWritersHoldNoDescriptors() throws {
        try ShapeLogTestSupport.withTemporaryDirectory { root in
            var writers: [ChangeLogWriter] = []
            let before = try Self.openDescriptorCount()
            for shape in 0..<100 {
                let directory = root + "/\(shape)"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
                try writer.append(offset: LogOffset(tx: 10, op: 0), json: Array("{}".utf8))
                try writer.commit(appliedThroughLSN: LSN(10))
                writers.append(writer)
            }
            // Other tests run in parallel and open files too; 100 writers pinning 3 each would add 300.
            #expect(try Self.openDescriptorCount() - before < 100)
            #expect(writers.allSatisfy { $0.committedState.entryCount == 1 })
        }
    }
}

struct ChangeLogGroupCommitTests {
    @Test func groupCommitPublishesEveryShape() throws {
        try ShapeLogTestSupport.withTemporaryDirectory { root in
            var writers: [ChangeLogWriter] = []
            for shape in 0..<20 {
                let directory = root + "/\(shape)"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let snapshot = try SnapshotWriter(directory: directory, chunkThresholdBytes: 100)
                try snapshot.finish(snapshotEnd: Array("{}".utf8))
                writers.append(try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100))
            }
            // Every other shape gets an entry; the rest only advance their LSN.
            for (position, writer) in writers.enumerated() where position % 2 == 0 {
                try writer.append(offset: LogOffset(tx: 70, op: UInt64(position * 2)), json: Array("{\"n\":\(position)}".utf8))
            }
            try ChangeLogWriter.commit(writers, appliedThroughLSN: LSN(70))
            for (position, writer) in writers.enumerated() {
                #expect(writer.committedState.appliedThroughLSN == LSN(70))
                #expect(!writer.hasUncommittedEntries)
                let reopened = try ChangeLogWriter(directory: root + "/\(position)", chunkThresholdBytes: 100)
                #expect(reopened.committedState.entryCount == (position % 2 == 0 ? 1 : 0))
                let reader = ShapeLogReader(directory: root + "/\(position)")
                let plan = try #require(ShapeLogTestSupport.ready(try reader.plan(after: .snapshotEnd)))
                #expect(try reader.readEntries(plan).count == (position % 2 == 0 ? 1 : 0))
            }
            #expect(!FileManager.default.fileExists(atPath: root + "/0/changes.state.tmp"))
        }
    }

    @Test func groupCommitOfOneShapeIsAPlainCommit() throws {
        try ShapeLogTestSupport.withTemporaryDirectory { directory in
            let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100)
            try writer.append(offset: LogOffset(tx: 5, op: 0), json: Array("{}".utf8))
            try ChangeLogWriter.commit([writer], appliedThroughLSN: LSN(5))
            #expect(writer.committedState.latest == LogOffset(tx: 5, op: 0))
            #expect(try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100).committedState.entryCount == 1)
        }
    }
}

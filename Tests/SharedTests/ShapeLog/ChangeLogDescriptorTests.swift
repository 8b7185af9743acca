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

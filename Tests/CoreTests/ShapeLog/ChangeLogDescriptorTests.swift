import Foundation
import TestSupport
import Testing

@testable import ConduitCore

/// router keeps a writer per shape: descriptors are cached, but never more than the cache holds.
struct ChangeLogDescriptorTests {
    typealias Support = ShapeLogTestSupport

    static func openDescriptorCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/fd")))
    func writersHoldNoMoreDescriptorsThanTheCache() throws {
        try Support.withTemporaryDirectory { root in
            let cache = ShapeLogDescriptorCache(capacity: 8)
            var writers: [ChangeLogWriter] = []
            let before = try Self.openDescriptorCount()
            for shape in 0..<100 {
                let directory = root + "/\(shape)"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let writer = try ChangeLogWriter(directory: directory, chunkThresholdBytes: 100, descriptors: cache)
                try writer.append(offset: LogOffset(tx: 10, op: 0), json: Array("{}".utf8))
                try writer.commit(appliedThroughLSN: LSN(10))
                writers.append(writer)
            }
            #expect(cache.count <= 8)
            // Other tests run in parallel and open files too; 100 writers pinning 4 each would add 400.
            #expect(try Self.openDescriptorCount() - before < 100)
            #expect(writers.allSatisfy { $0.committedState.entryCount == 1 })
            writers.removeAll()
            #expect(cache.count == 0)
        }
    }

    /// More shapes than descriptors, committed in groups and alone, in an order that evicts a
    /// shape's files between its appends and its commit: every log still reads back whole.
    /// The cache takes all but a reserve of the descriptor limit: a sixteenth, at least 1,024 or
    /// half of a small limit, never more than 65,536 nor fewer than 16.
    @Test func capacityLeavesAReserveOfTheLimit() {
        #expect(ShapeLogDescriptorCache.capacity(forLimit: 20_000) == 18_750)
        #expect(ShapeLogDescriptorCache.capacity(forLimit: 4096) == 3072)
        #expect(ShapeLogDescriptorCache.capacity(forLimit: 1024) == 512)
        #expect(ShapeLogDescriptorCache.capacity(forLimit: 131_072) == 65_536)
        #expect(ShapeLogDescriptorCache.capacity(forLimit: 20) == 16)
        #expect(ShapeLogDescriptorCache.capacity(forLimit: UInt64.max) == 65_536)
    }

    @Test func evictionKeepsLogsCorrect() throws {
        try Support.withTemporaryDirectory { root in
            let cache = ShapeLogDescriptorCache(capacity: 3)
            let shapes = 12
            var writers: [ChangeLogWriter] = []
            for shape in 0..<shapes {
                let directory = root + "/\(shape)"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let snapshot = try SnapshotWriter(directory: directory, chunkThresholdBytes: 100)
                try snapshot.finish(snapshotEnd: Support.json("{}"))
                writers.append(try ChangeLogWriter(directory: directory, chunkThresholdBytes: 30, descriptors: cache))
            }
            for round in 1...6 {
                let lsn = UInt64(round * 100)
                for (shape, writer) in writers.enumerated() where (shape + round) % 3 != 0 {
                    for op in 0..<2 {
                        let json = Support.json("{\"s\":\(shape),\"r\":\(round),\"o\":\(op)}")
                        try writer.append(offset: LogOffset(tx: Int64(lsn), op: UInt64(op * 2)), json: json)
                    }
                }
                if round % 2 == 0 {
                    for writer in writers { try writer.commit(appliedThroughLSN: LSN(lsn)) }
                } else {
                    try ChangeLogWriter.commit(writers, appliedThroughLSN: LSN(lsn))
                }
                #expect(cache.count <= 3)
            }
            for shape in 0..<shapes {
                let expected = (1...6).filter { (shape + $0) % 3 != 0 }.flatMap { round in
                    (0..<2).map { "{\"s\":\(shape),\"r\":\(round),\"o\":\($0)}" }
                }
                let reader = ShapeLogReader(directory: root + "/\(shape)")
                #expect(try ConcurrentReadTests.readAll(reader) == expected)
                let reopened = try ChangeLogWriter(directory: root + "/\(shape)", chunkThresholdBytes: 30, descriptors: cache)
                // The LSN of a shape a transaction did not touch advances in memory only.
                var expectedState = writers[shape].committedState
                expectedState.appliedThroughLSN = reopened.committedState.appliedThroughLSN
                #expect(reopened.committedState == expectedState)
            }
        }
    }

    /// A new owner in `cache` and a function opening its file number N (one empty file in
    /// `directory` under every number).
    static func opener(_ cache: ShapeLogDescriptorCache, _ directory: String) throws
        -> (owner: UInt64, open: (UInt8) throws -> PosixFile)
    {
        let owner = cache.makeOwner()
        let path = directory + "/file"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        return (owner, { file in try cache.handle(.init(owner: owner, file: file), path: path, flags: O_RDWR) })
    }

    /// Least recently used goes first; a handle held by an operation outlives its eviction.
    @Test func cacheEvictsTheLeastRecentlyUsedDescriptor() throws {
        try Support.withTemporaryDirectory { directory in
            let cache = ShapeLogDescriptorCache(capacity: 2, minimumIdleSeconds: 0)
            let (owner, open) = try Self.opener(cache, directory)
            let first = try open(0)
            let second = try open(1)
            #expect(try open(0) === first)
            let third = try open(2)
            #expect(cache.count == 2)
            #expect(try open(0) === first)
            #expect(try open(1) !== second)
            // `second` was evicted but is still open for its holder.
            try second.write(Array("ok".utf8), at: 0)
            #expect(try third.read(count: 2, at: 0) == Array("ok".utf8))
            cache.removeAll(owner: owner, files: 3)
            #expect(cache.count == 0)
        }
    }
}

extension ChangeLogDescriptorTests {
    /// A full cache of recently used descriptors keeps them: a sweep over more files than it
    /// holds (a group commit) hits the cached ones every time and opens only the others,
    /// uncached, instead of evicting each descriptor just before its next use.
    @Test func aFullCacheOfRecentDescriptorsKeepsThem() throws {
        try Support.withTemporaryDirectory { directory in
            let cache = ShapeLogDescriptorCache(capacity: 2, minimumIdleSeconds: 3600)
            let (owner, open) = try Self.opener(cache, directory)
            let first = try open(0)
            let second = try open(1)
            for _ in 0..<3 {
                #expect(try open(0) === first)
                #expect(try open(1) === second)
                let third = try open(2)
                #expect(try open(2) !== third, "not cached")
                try third.write(Array("ok".utf8), at: 0)
                #expect(cache.count == 2)
            }
            cache.removeAll(owner: owner, files: 3)
            #expect(cache.count == 0)
        }
    }
}

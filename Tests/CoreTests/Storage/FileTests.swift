import TestSupport
import Testing

@testable import ConduitCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

struct FileTests {
    @Test func atomicWriteCreatesAndReplaces() throws {
        try withUniqueTestDirectory { directory in
            let path = directory + "/router.checkpoint"
            try AtomicFile.write(path: path, bytes: Array("one".utf8))
            try AtomicFile.write(path: path, bytes: Array("second".utf8))
            let file = try PosixFile.openForReading(path)
            #expect(try file.read(count: 100, at: 0) == Array("second".utf8))
            #expect(try FileSystem.listDirectory(directory) == ["router.checkpoint"])
        }
    }

    @Test func positionalReadWriteTruncateAndSize() throws {
        try withUniqueTestDirectory { directory in
            let file = try PosixFile(path: directory + "/f", flags: O_RDWR | O_CREAT)
            try file.write(Array("hello world".utf8), at: 0)
            try file.write(Array("W".utf8), at: 6)
            try file.syncData()
            #expect(try file.size() == 11)
            #expect(try file.read(count: 5, at: 6) == Array("World".utf8))
            #expect(try file.read(count: 100, at: 9) == Array("ld".utf8))
            #expect(try file.read(count: 10, at: 50) == [])
            try file.truncate(to: 5)
            #expect(try file.size() == 5)
            #expect(try file.readExactly(count: 5, at: 0) == Array("hello".utf8))
            #expect(try file.readExactly(count: 6, at: 0) == nil)
        }
    }

    /// Bytes followed by zeros land as one run, over stale bytes too, for runs of zeros shorter
    /// than, equal to and longer than the shared zero block (1 MiB + 5 bytes: more than one
    /// `pwritev` takes), and with no bytes before them.
    @Test func writeFollowedByZeros() throws {
        try withUniqueTestDirectory { directory in
            let file = try PosixFile(path: directory + "/f", flags: O_RDWR | O_CREAT)
            for zeros in [0, 1, 4_000, 64 << 10, (1 << 20) + 5] {
                try file.truncate(to: 0)
                try file.write([UInt8](repeating: 0xAB, count: zeros + 20), at: 0)
                let bytes = Array("entry".utf8)
                try bytes.withUnsafeBytes { raw in
                    Result { () throws(FileError) in try file.write(raw, followedByZeros: zeros, at: 3) }
                }.get()
                let read = try file.read(count: zeros + 100, at: 0)
                #expect(read.count == zeros + 20, "zeros \(zeros)")
                #expect(Array(read[0..<3]) == [0xAB, 0xAB, 0xAB])
                #expect(Array(read[3..<8]) == bytes)
                #expect(read[8..<(8 + zeros)].allSatisfy { $0 == 0 }, "zeros \(zeros)")
                #expect(read[(8 + zeros)...].allSatisfy { $0 == 0xAB }, "zeros \(zeros)")
            }
            try file.write(UnsafeRawBufferPointer(start: nil, count: 0), followedByZeros: 3, at: 0)
            #expect(try file.read(count: 4, at: 0) == [0, 0, 0, UInt8(ascii: "e")])
        }
    }

    @Test func errorsNameThePathAndErrno() throws {
        try withUniqueTestDirectory { directory in
            let missing = directory + "/nope/file"
            #expect {
                _ = try PosixFile.openForReading(missing)
            } throws: { error in
                let description = "\(error)"
                return description.contains(missing) && description.contains("No such file or directory") && description.contains("errno 2")
            }
        }
    }

    @Test func createDirectoryMakesParentsAndListsEntries() throws {
        try withUniqueTestDirectory { directory in
            let nested = directory + "/a/b/c"
            try FileSystem.createDirectory(nested)
            try FileSystem.createDirectory(nested)
            #expect(FileSystem.exists(nested))
            try FileSystem.syncDirectory(nested)
            #expect(FileSystem.parentDirectory(of: nested) == directory + "/a/b")
            #expect(try FileSystem.listDirectory(directory + "/a") == ["b"])
            // A sibling whose parent exists (one mkdir), and a path under a file (an error naming it).
            try FileSystem.createDirectory(directory + "/a/b/d")
            #expect(FileSystem.exists(directory + "/a/b/d"))
            try AtomicFile.write(path: directory + "/file", bytes: [1])
            #expect(throws: FileError.self) { try FileSystem.createDirectory(directory + "/file/x") }
        }
    }
}

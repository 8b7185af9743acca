import TestSupport
import Testing

@testable import ConduitCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// Reading a file never writes its inode: a restart reads seven files per shape, and with
/// `relatime` each first read after a change would otherwise update the access time.
struct AccessTimeTests {
    @Test func readingAFileLeavesItsAccessTime() throws {
        try withUniqueTestDirectory { directory in
            let path = directory + "/shape.json"
            try AtomicFile.write(path: path, bytes: Array("{}".utf8), durable: false)
            // An access time a day before the modification: `relatime` would update it on a read.
            var before = stat()
            #expect(stat(path, &before) == 0)
            var times = [timespec(tv_sec: before.st_mtim.tv_sec - 86_400, tv_nsec: 0), before.st_mtim]
            #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
            #expect(try AtomicFile.read(path: path) == Array("{}".utf8))
            let file = try PosixFile(path: path, flags: O_RDWR)
            #expect(try file.read(count: 2, at: 0) == Array("{}".utf8))
            var after = stat()
            #expect(stat(path, &after) == 0)
            #expect(after.st_atim.tv_sec == before.st_mtim.tv_sec - 86_400)
        }
    }
}

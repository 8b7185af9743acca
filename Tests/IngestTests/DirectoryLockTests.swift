import ConduitCore
import Foundation
import Testing

struct DirectoryLockTests {
    @Test func aSecondHolderIsRefusedUntilTheFirstLetsGo() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-lock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var first: DirectoryLock? = try DirectoryLock.acquire(directory: directory, name: "ingest.lock")
        #expect(first?.path == directory + "/ingest.lock")
        #expect {
            _ = try DirectoryLock.acquire(directory: directory, name: "ingest.lock")
        } throws: { error in
            guard case DirectoryLockError.held(let path, let holder) = error else { return false }
            return path == directory + "/ingest.lock" && holder == String(ProcessInfo.processInfo.processIdentifier)
        }
        #expect(throws: Never.self) { _ = try DirectoryLock.acquire(directory: directory, name: "router.lock") }
        withExtendedLifetime(first) {}
        first = nil
        #expect(throws: Never.self) { _ = try DirectoryLock.acquire(directory: directory, name: "ingest.lock") }
    }
}

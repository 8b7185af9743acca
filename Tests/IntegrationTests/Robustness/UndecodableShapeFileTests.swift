import ConduitCore
import Foundation
import TestSupport
import Testing

/// A shape whose stored document (the first frame of its `changes.log`) is not what router wrote
/// (checksum intact: another release's text, an operator's edit), in the definition serve reads or
/// in router's record beside it, cannot be resumed: router removes it at start-up, naming the file
/// and the fault, and its client gets 409 and refetches the table.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct UndecodableShapeFileTests {
    /// A change to the document, and what the log must say.
    static let cases: [(@Sendable ([String: Any]) -> [String: Any], String)] = [
        (
            { document in
                var document = document
                document["router"] = ["version": 2, "identity": 7]
                return document
            }, "changes.log: router.identity: expected a string, found a number"
        ),
        (
            { document in
                var document = document
                document["definition"] = ["schema": "public", "table": 7]
                return document
            }, "changes.log: definition.table: expected a string, found a number"
        ),
    ]

    @Test(arguments: cases)
    func aShapeWhoseFileCannotBeDecodedIsRemovedAtStartUp(edit: @Sendable ([String: Any]) -> [String: Any], logged: String)
        async throws
    {
        try await ItemsCluster.with(label: "undecodable", seed: "INSERT INTO items VALUES (1, 'a'), (2, 'b')") { cluster, sql, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items")
            try await follower.syncUntilUpToDate()
            let handle = try #require(follower.handle)
            cluster.router.terminate()
            #expect(await cluster.router.waitForExit(timeout: .seconds(40)) == 0)
            let folder = cluster.storageDirectory + "/shapes/\(handle)"
            try StoredShapeDocument.write(edit(StoredShapeDocument.read(folder: folder)), folder: folder)
            let router = try cluster.relaunch("router")
            try sql.execute("INSERT INTO items VALUES (3, 'c')")
            let expected = try PipelineTests.tableContents(sql)
            try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
            #expect(follower.handle != handle, "the damaged shape must be replaced, not served")
            let log = router.logContents
            #expect(log.contains("Removing a shape that cannot be resumed"), "\(log)")
            #expect(log.contains("its stored definition cannot be decoded"), "\(log)")
            #expect(log.contains(logged), "\(log)")
            _ = await router.stop()
        }
    }

    /// A byte of the stored document flipped on disk (its checksum no longer matches): that shape is
    /// removed, naming the file, and router serves every other shape, instead of refusing to
    /// start over one damaged file.
    @Test func aShapeWhoseFileIsDamagedIsRemovedAtStartUp() async throws {
        try await ItemsCluster.with(label: "damagedjson", seed: "INSERT INTO items VALUES (1, 'a'), (2, 'b')") { cluster, sql, _ in
            let damaged = ShapeFollower(client: cluster.client, table: "items", where: "id < 100")
            let intact = ShapeFollower(client: cluster.client, table: "items", where: "id < 200")
            try await damaged.syncUntilUpToDate()
            try await intact.syncUntilUpToDate()
            let handle = try #require(damaged.handle)
            cluster.router.terminate()
            #expect(await cluster.router.waitForExit(timeout: .seconds(40)) == 0)
            let path = cluster.storageDirectory + "/shapes/\(handle)/changes.log"
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            // A digit of the document, past the file's and the frame's headers.
            let digit = try #require(bytes[16...].firstIndex(of: UInt8(ascii: "1")))
            bytes[digit] = UInt8(ascii: "2")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let router = try cluster.relaunch("router")
            try sql.execute("INSERT INTO items VALUES (3, 'c')")
            let expected = try PipelineTests.tableContents(sql)
            try await damaged.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
            try await intact.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
            #expect(damaged.handle != handle, "the damaged shape must be replaced, not served")
            #expect(intact.refetchCount == 0, "the other shape keeps being served")
            let log = router.logContents
            #expect(log.contains("Removing a shape that cannot be resumed"), "\(log)")
            #expect(log.contains("changes.log is corrupt: checksum mismatch"), "\(log)")
            _ = await router.stop()
        }
    }
}

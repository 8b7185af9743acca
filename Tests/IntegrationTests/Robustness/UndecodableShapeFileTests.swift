import ConduitCore
import Foundation
import TestSupport
import Testing

/// A shape folder whose `shape.json` or `router.json` is not what router wrote (checksum intact:
/// another release's text, an operator's edit) cannot be resumed: router removes it at start-up,
/// naming the file and the fault, and its client gets 409 and refetches the table.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct UndecodableShapeFileTests {
    /// File, the text put in it (sealed with a valid checksum), what the log must say.
    static let cases: [(String, String, String)] = [
        ("router.json", #"{"version":2,"identity":"#, "router.json: invalid JSON at byte 24: unexpected end of the document"),
        (
            "shape.json", #"{"version":1,"handle":"h","definition":{"schema":"public","table":7}}"#,
            "definition.table: expected a string, found a number"
        ),
    ]

    @Test(arguments: cases)
    func aShapeWhoseFileCannotBeDecodedIsRemovedAtStartUp(file: String, text: String, logged: String) async throws {
        try await ItemsCluster.with(label: "undecodable", seed: "INSERT INTO items VALUES (1, 'a'), (2, 'b')") { cluster, sql, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items")
            try await follower.syncUntilUpToDate()
            let handle = try #require(follower.handle)
            cluster.router.terminate()
            #expect(await cluster.router.waitForExit(timeout: .seconds(40)) == 0)
            try ChecksummedFile.write(path: cluster.storageDirectory + "/shapes/\(handle)/\(file)", payload: Array(text.utf8))
            let router = try cluster.relaunch("router")
            try sql.execute("INSERT INTO items VALUES (3, 'c')")
            let expected = try PipelineTests.tableContents(sql)
            try await follower.syncUntil(timeout: .seconds(120)) { $0.rows == expected }
            #expect(follower.handle != handle, "the damaged shape must be replaced, not served")
            let log = router.logContents
            #expect(log.contains("Removing a shape that cannot be resumed"), "\(log)")
            #expect(log.contains("its definition file cannot be decoded"), "\(log)")
            #expect(log.contains(logged), "\(log)")
            _ = await router.stop()
        }
    }
}

import ConduitCore
import Foundation
import TestSupport
import Testing

/// `router replay` rebuilds a shape's change log from its snapshot and the spool; `ingest
/// spool-inspect` shows what the spool holds.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct ShapeReplayTests {
    /// A shape's change-log files (its committed state is a record in `shapes/.states`).
    static let changeLogFiles = ["changes.log", "changes.idx", "changes.chunks"]

    /// A change log's frames without the zero padding after them (a frame ends with its JSON's
    /// closing brace, never a zero byte), which depends on how appends were grouped in commits.
    static func frames(_ path: String) throws -> Data {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        return bytes.prefix((bytes.lastIndex { $0 != 0 } ?? -1) + 1)
    }

    @Test func replayRebuildsAChangeLogWhoseEntriesAreGone() async throws {
        try await ItemsCluster.with(label: "replay", seed: "INSERT INTO items SELECT g, 'seed' FROM generate_series(1, 20) g") {
            cluster, sql, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items", where: "id % 2 = 0")
            try await follower.syncUntilUpToDate()
            try sql.execute("INSERT INTO items SELECT g, 'new' FROM generate_series(21, 60) g")
            try sql.execute("UPDATE items SET title = 'changed' WHERE id < 30")
            try sql.execute("DELETE FROM items WHERE id BETWEEN 40 AND 45")
            try sql.execute("BEGIN; UPDATE items SET id = 1001 WHERE id = 2; UPDATE items SET id = 2 WHERE id = 3; COMMIT")
            let expected = try PipelineTests.tableContents(sql).filter { Int($0.value["id"]!!)! % 2 == 0 }
            try await follower.syncUntil { $0.rows == expected }
            let handle = try #require(follower.handle)
            let shape = cluster.storageDirectory + "/shapes/" + handle
            let original = try Self.frames(shape + "/changes.log")

            // Replay refuses while router runs.
            let refused = try await cluster.tool("router", ["replay", "--shape", handle])
            #expect(refused.status != 0 && refused.output.contains("stop it before replaying"), "\(refused.output)")

            cluster.router.terminate()
            #expect(await cluster.router.waitForExit(timeout: .seconds(40)) == 0, "\(cluster.router.logTail())")
            // The change log loses every entry: cut after its first frame (the shape's document,
            // which replay keeps), index and chunks deleted (`changes.chunks` exists only once a
            // chunk closed).
            let log = [UInt8](try Data(contentsOf: URL(fileURLWithPath: shape + "/changes.log")))
            let documentEnd = 16 + Int(log.loadInteger(UInt32.self, at: 8, .littleEndian))
            try Data(log.prefix(documentEnd)).write(to: URL(fileURLWithPath: shape + "/changes.log"))
            for name in Self.changeLogFiles.dropFirst() where FileManager.default.fileExists(atPath: shape + "/" + name) {
                try FileManager.default.removeItem(atPath: shape + "/" + name)
            }
            let replay = try await cluster.tool("router", ["replay", "--shape", handle])
            #expect(replay.status == 0 && replay.output.contains("\(handle): rebuilt"), "\(replay.output)")
            #expect(
                try Self.frames(shape + "/changes.log") == original,
                "the rebuilt log differs from the one router wrote")

            // A missing shape, and --all, report per shape.
            let unknown = try await cluster.tool("router", ["replay", "--shape", "no-such-shape"])
            #expect(unknown.status == 1 && unknown.output.contains("no-such-shape: not rebuilt: no such shape"), "\(unknown.output)")
            let all = try await cluster.tool("router", ["replay", "--all"])
            #expect(all.status == 0 && all.output.contains("\(handle): rebuilt"), "\(all.output)")

            // router resumes on the rebuilt log: an old client and a new one both equal the table.
            let router = try cluster.relaunch("router")
            defer { router.kill() }
            try sql.execute("INSERT INTO items VALUES (2000, 'after replay'), (2001, 'odd')")
            let after = try PipelineTests.tableContents(sql).filter { Int($0.value["id"]!!)! % 2 == 0 }
            try await follower.syncUntil { $0.rows == after }
            let fresh = ShapeFollower(client: cluster.client, table: "items", where: "id % 2 = 0")
            try await fresh.syncUntil { $0.rows == after }
            #expect(fresh.handle == handle, "replay must keep the shape, not make a new one")
            router.terminate()
            #expect(await router.waitForExit(timeout: .seconds(40)) == 0)
        }
    }

    @Test func replayRefusesWhenTheSpoolNoLongerReachesTheSnapshot() async throws {
        try await ItemsCluster.with(label: "replaygap", seed: "INSERT INTO items VALUES (1, 'a')") { cluster, sql, _ in
            // A transaction through the spool first, so the shape's record names a spool position
            // (the edit below must not make its document longer: the change entries follow it).
            let earlier = ShapeFollower(client: cluster.client, table: "items")
            try await earlier.syncUntilUpToDate()
            try sql.execute("INSERT INTO items VALUES (2, 'b')")
            try await earlier.syncUntil { $0.rows.count == 2 }
            let follower = ShapeFollower(client: cluster.client, table: "items", where: "id > 0")
            try await follower.syncUntilUpToDate()
            let handle = try #require(follower.handle)
            cluster.router.terminate()
            #expect(await cluster.router.waitForExit(timeout: .seconds(40)) == 0)
            // As if retention had removed the segment the shape's merge started in.
            let folder = cluster.storageDirectory + "/shapes/\(handle)"
            var document = try StoredShapeDocument.read(folder: folder)
            var record = try #require(document["router"] as? [String: Any])
            record["replayFrom"] = ["spool": ["segment": 1, "offset": 64], "commitEnd": 1]
            document["router"] = record
            try StoredShapeDocument.write(document, folder: folder)
            let replay = try await cluster.tool("router", ["replay", "--shape", handle])
            #expect(replay.status == 1, "\(replay.output)")
            #expect(replay.output.contains("no longer holds segment 0000000000000001"), "\(replay.output)")
            #expect(
                FileManager.default.fileExists(atPath: cluster.storageDirectory + "/shapes/\(handle)/changes.log"),
                "a refused replay must not touch the shape")
            // A deleted `changes.log` took the shape's definition with it: nothing to rebuild.
            try FileManager.default.removeItem(atPath: folder + "/changes.log")
            let lost = try await cluster.tool("router", ["replay", "--shape", handle])
            #expect(lost.status == 1 && lost.output.contains("its definition is missing"), "\(lost.output)")
        }
    }

    @Test func spoolInspectShowsTransactionsAndTables() async throws {
        try await ItemsCluster.with(label: "inspect", seed: "INSERT INTO items VALUES (1, 'a')") { cluster, sql, _ in
            let follower = ShapeFollower(client: cluster.client, table: "items")
            try await follower.syncUntilUpToDate()
            for id in 2...6 { try sql.execute("INSERT INTO items VALUES (\(id), 'x')") }
            try sql.execute("UPDATE items SET title = 'y'")
            try await follower.syncUntil { $0.rows.count == 6 && $0.rows.values.allSatisfy { $0["title"] == "y" } }
            let result = try await cluster.tool("ingest", ["spool-inspect", "--json"])
            #expect(result.status == 0, "\(result.output)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            #expect((report["transactions"] as? Int ?? 0) >= 6)
            #expect((report["segments"] as? [Any])?.isEmpty == false)
            #expect(report["lastCommitEndLSN"] != nil)
            let tables = try #require(report["tables"] as? [[String: Any]])
            let items = try #require(tables.first { $0["name"] as? String == "public.items" })
            #expect(items["inserts"] as? Int == 5 && items["updates"] as? Int == 6, "\(items)")
            let text = try await cluster.tool("ingest", ["spool-inspect"])
            #expect(text.output.contains("public.items") && text.output.contains("transactions"), "\(text.output)")
        }
    }
}

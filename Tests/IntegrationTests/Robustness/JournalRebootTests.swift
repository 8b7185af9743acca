import Foundation
import Postgres
import TestSupport
import Testing

@testable import ConduitCore

/// What an operating-system crash can do to journaled commits, done by hand: router is killed
/// right after a commit through the journal was published, the shape-log bytes its record names
/// are zeroed (the page cache that held them is gone), and the journal is made an earlier boot's.
/// A serve started then answers 503 until router replays the journal; then both clients end with
/// exactly the table, every change once, on their old handles.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct JournalRebootTests {
    @Test func aRebootsLostBytesComeBackFromTheJournalBeforeAnyoneReadsThem() async throws {
        try await TestDatabase.withDatabase(label: "jrb") { database in
            let sql = try database.connect()
            try sql.execute("CREATE TABLE items (id int PRIMARY KEY, title text)")
            try sql.execute("INSERT INTO items SELECT g, 'seed' FROM generate_series(1, 100) g")
            try await TemporaryDirectory.with { directory in
                try await ConduitCluster.with(
                    database: database, directory: directory, environment: ["CONDUIT_FAILPOINTS": "router.after-state@5"]
                ) { cluster in
                    let followers = RouterFailpointTests.followers(cluster.client)
                    for follower in followers { try await follower.syncUntilUpToDate() }
                    let handles = followers.map(\.handle)
                    let writer = RouterCrashTests.startLoad(url: database.url)
                    #expect(await cluster.router.waitForExit(timeout: .seconds(120)) == 128 + SIGKILL)
                    cluster.serve.kill()
                    _ = await cluster.serve.waitForExit(timeout: .seconds(30))

                    // The "reboot": the journaled bytes never reached the disk.
                    let layout = StorageLayout(root: cluster.storageDirectory)
                    let journal = [UInt8](try Data(contentsOf: URL(fileURLWithPath: layout.commitJournal)))
                    let writes = try #require(CommitJournal.writes(inFile: journal))
                    #expect(!writes.isEmpty, "the killed commit went through the journal")
                    for write in writes {
                        let file = try PosixFile(path: layout.shapesDirectory + "/" + write.path, flags: O_WRONLY)
                        try file.write([UInt8](repeating: 0, count: write.bytes.count), at: write.offset)
                    }
                    let salt = try #require(CommitJournal.parseHeader(journal)).salt
                    let file = try PosixFile(path: layout.commitJournal, flags: O_WRONLY)
                    try file.write(CommitJournal.header(boot: Array("an earlier boot".utf8), host: BootIdentity.host, salt: salt), at: 0)

                    let serve = try cluster.relaunch("serve")
                    var waiting: HTTPResponse?
                    for _ in 0..<100 {
                        waiting = try? await cluster.client.get("/v1/shape?table=items&offset=-1", timeout: .seconds(10))
                        if waiting != nil { break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    #expect(waiting?.status == 503)
                    #expect(waiting?.text.contains("recovered") == true)

                    let router = try cluster.relaunch("router", overriding: ["CONDUIT_FAILPOINTS": ""])
                    try await writer.value
                    for (follower, handle) in zip(followers, handles) {
                        try await RouterCrashTests.expectExactContentsOnce(follower: follower, sql: sql, handle: handle)
                    }
                    #expect(router.logContents.contains("replayed=\(writes.count)"))
                    _ = await router.stop()
                    _ = await serve.stop()
                }
            }
        }
    }
}

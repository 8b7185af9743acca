import Foundation
import Hummingbird
import Testing

@testable import ConduitCore
@testable import Serve

/// After an operating-system crash a published state may name bytes only router's replay of
/// its commit journal puts back: serve answers 503 until that replay, then serves as usual.
struct ShapeRoutesJournalTests {
    @Test func shapesWaitForTheReplayOfAnEarlierBootsJournal() async throws {
        let fixture = RoutesFixture()
        try fixture.makeShape(rows: ["{\"key\":\"1\"}"])
        let journal = try CommitJournal(path: fixture.layout.commitJournal, shapes: fixture.layout.shapesDirectory)
        // A record rewriting the snapshot log's first bytes as they are (what a replay does).
        let snapshot = fixture.layout.shapeDirectory("h1") + "/snapshot.log"
        let first = try PosixFile.openForReading(snapshot).read(count: 8, at: 0)
        var record = try journal.beginRecord()
        #expect(try record.add(path: snapshot, offset: 0, data: first))
        try journal.append(&record)

        // This boot's journal: nothing to wait for.
        #expect(await fixture.get("table=items&offset=-1").status == .ok)

        // The same journal as an earlier boot left it, seen by a serve started after the reboot.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: journal.path)))
        let salt = try #require(CommitJournal.parseHeader(bytes)).salt
        bytes.replaceSubrange(
            0..<CommitJournal.headerSize, with: CommitJournal.header(boot: Array("earlier".utf8), host: BootIdentity.host, salt: salt))
        try Data(bytes).write(to: URL(fileURLWithPath: journal.path))
        let rebooted = RoutesFixture(sharing: fixture)
        let waiting = await rebooted.get("table=items&offset=-1")
        #expect(waiting.status == .serviceUnavailable)
        #expect(waiting.headers[.retryAfter] == "1")
        #expect(try await waiting.bodyText().contains("recovered"))

        try CommitJournal.recover(path: journal.path, shapes: fixture.layout.shapesDirectory)
        #expect(await rebooted.get("table=items&offset=-1").status == .ok)
    }
}

import ConduitCore
import Logging

/// The commit journal's life in router (``CommitJournal``): recovered before the shapes load,
/// appended by large group commits, checkpointed when the loop is idle.
extension RouterEngine {
    /// The journal records may reach before a large commit flushes the file system instead (and
    /// so empties it): bounds the disk it takes and what a restart after a reboot replays.
    static let journalLimitBytes: UInt64 = 256 << 20
    /// The journal's size past which a checkpoint starts even while WAL keeps arriving.
    static let journalCheckpointBytes: UInt64 = 64 << 20
    /// Seconds without WAL after which the loop checkpoints the journal.
    static let journalIdleSeconds = 0.5
    /// Seconds a record may wait for a checkpoint under a load that never leaves the loop idle
    /// (the kernel's own write-back waits as long, `dirty_expire_centisecs`), so that neither
    /// the journal a reboot replays nor the wait of a new shape's files for their first flush
    /// grows without bound.
    static let journalMaximumAgeSeconds = 30.0

    /// Makes whatever a previous router left in the journal durable in the shape files (written
    /// again after a reboot), then opens it empty; nil when `enabled` is false (an existing
    /// journal is still recovered, so switching it off never loses a commit), or when the system
    /// has no boot id to tell a reboot by (serve could not tell a journal to wait for).
    static func openJournal(_ storage: StorageLayout, enabled: Bool, logger: Logger) throws -> CommitJournal? {
        let recovery = try CommitJournal.recover(path: storage.commitJournal, shapes: storage.shapesDirectory)
        if recovery.writes > 0 {
            logger.info(
                "Recovered the commit journal",
                metadata: [
                    "writes": "\(recovery.writes)", "replayed": "\(recovery.replayed)", "skipped": "\(recovery.skipped)",
                ])
        }
        guard enabled, !BootIdentity.current.isEmpty else { return nil }
        return try CommitJournal(path: storage.commitJournal, shapes: storage.shapesDirectory)
    }

    /// The journal, while a commit may still append to it.
    var journalWithRoom: CommitJournal? {
        guard let journal, journal.end < Self.journalLimitBytes else { return nil }
        return journal
    }

    /// Starts a checkpoint of the journal (`syncfs` on the flusher's thread) when it holds
    /// records and WAL stopped arriving for ``journalIdleSeconds``, or it passed
    /// ``journalCheckpointBytes``, or its first record is ``journalMaximumAgeSeconds`` old;
    /// ``finishCommit(waiting:)`` empties it once the flush ends.
    func checkpointJournalIfIdle(now: Double = MonotonicClock.seconds()) {
        guard let journal, journal.hasRecords, inFlight == nil, journalCheckpoint == nil else { return }
        let idle = now - lastArrival >= Self.journalIdleSeconds
        let old = journal.firstRecordAt.map { now - $0 >= Self.journalMaximumAgeSeconds } ?? false
        guard idle || old || journal.end >= Self.journalCheckpointBytes else { return }
        startJournalCheckpoint()
    }

    /// Checkpoints the journal and waits for it (a stop): the next start then has nothing to
    /// flush before it loads its shapes.
    func checkpointJournalNow() throws {
        guard let journal, journal.hasRecords, inFlight == nil, let flusher else { return }
        if journalCheckpoint != nil, let outcome = flusher.wait() { try finishJournalCheckpoint(outcome) }
        guard journal.hasRecords else { return }
        startJournalCheckpoint()
        if let outcome = flusher.wait() { try finishJournalCheckpoint(outcome) }
    }

    /// Starts the flush that checkpoints the journal as it ends now.
    private func startJournalCheckpoint() {
        guard let journal, let flusher else { return }
        journalCheckpoint = journal.end
        flusher.start()
    }

    /// A checkpoint's flush ended: the records before its start are durable in the shape files.
    func finishJournalCheckpoint(_ outcome: FileSystemFlusher.Outcome) throws {
        guard let end = journalCheckpoint else { return }
        journalCheckpoint = nil
        try outcome.result.get()
        try emptyJournal(ifStillEndingAt: end)
    }

    /// Empties the journal after a flush of the file system that started when it ended at `end`,
    /// unless a commit appended to it since (the next checkpoint covers that one).
    func emptyJournal(ifStillEndingAt end: UInt64) throws {
        guard let journal, journal.end == end, journal.hasRecords else { return }
        try journal.reset()
    }
}

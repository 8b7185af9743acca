import ConduitCore
import Foundation
import Logging
import Spool
import WhereClause

/// What outlives one ``RouterEngine``: the mailbox, the workers and their published progress,
/// and the callbacks to serve and ingest. After a storage failure router rebuilds its engine
/// from disk (as a restart would) and keeps these.
struct RouterServices: Sendable {
    let inbox: RouterInbox
    let progress: RouterProgress
    /// Catalog workers: resolve definitions, check tables.
    let catalog: WorkerPool<ShapeResolver>
    /// Snapshot workers: prepare tables, open snapshots, copy rows.
    let snapshots: WorkerPool<SnapshotWorker>
    let notify: @Sendable (RouterToServe) -> Void
    let reportConsumed: @Sendable (LSN) -> Void
    /// Counts and sizes for `router.status` and the metrics.
    var gauges = RouterGauges()
}

/// router's main loop: the single writer of every shape log.
///
/// Confined to one thread, and it never waits on PostgreSQL, a client or a serve process: every
/// database call runs on a worker (``RouterServices``), every message to serve goes through a
/// bounded non-blocking queue. Each turn it handles queued commands between transactions, then
/// reads the spool up to the durable position ingest announced, routing each change to the shapes
/// of its table. At every transaction boundary where it has caught up (or after a bounded number
/// of frames) it commits the touched shape logs (fsync + publish), writes its checkpoint, notifies
/// serve processes and tells ingest how far it got.
final class RouterEngine {
    let configuration: RouterConfiguration
    let logger: Logger
    let services: RouterServices
    let stop: StopSignal
    var inbox: RouterInbox { services.inbox }

    var shapes: [String: ActiveShape] = [:]
    var shapesByRelation: [UInt32: RelationShapes] = [:]
    var handlesByIdentity: [String: String] = [:]
    var identityByHandle: [String: String] = [:]
    /// Request definitions already answered with a handle: answered again without a catalog
    /// round trip.
    var handlesByDefinition: [ShapeDefinition: String] = [:]
    /// Shapes being created, by identity: the requests waiting for each.
    var creations: [String: PendingCreation] = [:]
    /// Definitions PostgreSQL refused while copying their snapshot, answered 400 for a while.
    var refusedDefinitions = RefusedDefinitions()
    var relations: [UInt32: PgOutputMessage.Relation] = [:]
    /// Column names per relation, kept beside ``relations`` so routing a row allocates nothing.
    private var columnNames: [UInt32: [String]] = [:]

    private let reader: SpoolReader
    /// Every shape's committed change-log state (``ShapeStateTable``), one record per shape.
    let stateTable: ShapeStateTable
    private var cursorOpen = false
    var checkpoint: RouterCheckpoint?
    /// Inside a transaction: its xid, commit LSN (decimal), next op index.
    private(set) var transaction: RoutedTransaction?
    /// Sequence number of the current transaction; shapes decide lazily, on first touch,
    /// whether it applies to them, so a transaction costs nothing for shapes it never touches.
    private var transactionSequence: UInt64 = 0
    /// Shapes the current transaction applies to and touched.
    private var touched: [ActiveShape] = []
    /// Shapes with entries not yet committed to their change logs, each once
    /// (``ActiveShape/queuedForCommit``); a shape removed meanwhile stays until the next commit
    /// leaves it out. An array, not a dictionary: inserting each touched shape into a dictionary
    /// per transaction hashed it again every time.
    var dirtyShapes: [ActiveShape] = []
    private var truncated: Set<UInt32> = []
    /// Latest commit fully applied (possibly not yet committed to the shape logs).
    var appliedCommitEnd: LSN = .zero
    var appliedCommitLSN: LSN = .zero
    /// The frame boundary after the last applied transaction (nil before the first frame).
    var appliedPosition: SpoolPosition?
    /// Recently applied transactions, to detect a snapshot that missed one.
    var recentTransactions: [(xid: UInt32, commitEnd: LSN)] = []
    /// When to commit the shape logs (``CommitPacing``).
    private var pacing = CommitPacing()
    /// The durable position the spool was last read up to.
    private var lastReadLimit: SpoolDurablePosition?
    /// Routed since the last group commit; handed to ``RouterGauges`` there.
    private var changesSinceCommit = 0
    private var transactionsSinceCommit = 0
    /// Committed change-log bytes over all shapes.
    var shapeLogBytes: UInt64 = 0
    /// Flushes the storage file system for large group commits off the loop (nil without `syncfs`).
    let flusher: FileSystemFlusher?
    /// The group commit whose flush ``flusher`` is running; published by ``finishCommit(waiting:)``.
    private(set) var inFlight: GroupCommitInFlight?
    /// A commit came due while one was in flight: considered again once that one is published.
    private var commitOwed = false
    /// Where large group commits make their bytes durable (nil: they flush the file system).
    let journal: CommitJournal?
    /// The journal's end when ``flusher`` started a checkpoint of it (``RouterEngine+Journal``).
    var journalCheckpoint: UInt64?
    /// When the loop last read spool frames (``MonotonicClock`` seconds).
    var lastArrival: Double = 0

    init(configuration: RouterConfiguration, services: RouterServices, stop: StopSignal, logger: Logger) throws {
        self.configuration = configuration
        self.services = services
        self.stop = stop
        self.logger = logger
        try FileSystem.createDirectory(configuration.storage.shapesDirectory)
        try FileSystem.createDirectory(configuration.storage.spoolDirectory)
        self.reader = try SpoolReader(directory: configuration.storage.spoolDirectory)
        self.stateTable = try ShapeStateTable(path: configuration.storage.shapeStates)
        self.checkpoint = try RouterCheckpoint.read(from: configuration.storage.routerCheckpoint)
        self.flusher = try FileSystemFlusher(directory: configuration.storage.shapesDirectory) { [inbox = services.inbox] in inbox.wake() }
        self.journal = try Self.openJournal(configuration.storage, enabled: configuration.commitJournal && flusher != nil, logger: logger)
        if let checkpoint {
            appliedCommitEnd = checkpoint.commitEndLSN
            appliedCommitLSN = checkpoint.lastCommitLSN
            appliedPosition = checkpoint.position
        }
        publishProgress()
    }

    /// Seconds between checks that every shape's table still exists under its name.
    var reconcileInterval: Double { Double(configuration.tableCheckSeconds) }
    private var lastReconcile: Double = 0

    /// Loads the shapes of the previous run; call before serving requests.
    func start() throws {
        try loadShapes()
    }

    /// Blocks until ingest's replication slot exists, or a stop is requested; router listens only
    /// afterwards, so serve's health stays `starting` and no shape is snapshotted before.
    ///
    /// The slot exists once ingest announced a durable position, or when the spool holds segments
    /// of an earlier run (whose slot PostgreSQL keeps, or whose loss ingest records as a stream
    /// reset that removes every shape). A snapshot taken before would lose the transactions
    /// committed between it and the new slot's consistent point: they are in neither.
    func waitForStream() {
        func started() -> Bool { inbox.durablePosition != nil || ((try? reader.segments().isEmpty) == false) }
        guard !started() else { return }
        logger.info("Waiting for ingest to create the replication slot before accepting shape requests")
        while !started() && !stop.isRequested { inbox.wait(milliseconds: 100) }
    }

    /// Runs until a stop is requested.
    func run() throws {
        while !stop.isRequested {
            try finishCommit(waiting: false)
            if transaction == nil, MonotonicClock.seconds() - lastReconcile >= reconcileInterval {
                lastReconcile = MonotonicClock.seconds()
                requestTableCheck()
            }
            // Shapes are created only between transactions, so a new shape never sees half of one.
            if transaction == nil {
                let commands = inbox.takeCommands()
                // Commands create and remove shapes: never beside a commit still in flight.
                if !commands.isEmpty { try finishCommit(waiting: true) }
                for command in commands { try handle(command) }
            }
            let progressed = try readSpool()
            if !progressed {
                if inFlight != nil {
                    // Until more WAL arrives or the flush in flight ends (the flusher wakes the
                    // loop; the next turn publishes the commit).
                    inbox.wait(milliseconds: 100)
                } else if commitOwed, transaction == nil {
                    try commitIfDue(arrived: false)
                } else if transaction == nil,
                    let due = pacing.secondsUntilDue(now: MonotonicClock.seconds(), dirtyShapes: dirtyShapes.count)
                {
                    // A deferred commit: wait for more WAL no longer than it is due.
                    if due > 0 { inbox.wait(milliseconds: max(1, Int((due * 1000).rounded(.up)))) }
                    if inbox.durablePosition == lastReadLimit { try commitIfDue(arrived: false) }
                } else {
                    checkpointJournalIfIdle()
                    inbox.wait(milliseconds: 100)
                }
            }
        }
        try commitShapeLogs()
        try checkpointJournalNow()
    }

    /// Applies spool frames up to the durable limit. Returns whether anything was read.
    private func readSpool() throws -> Bool {
        guard let limit = inbox.durablePosition else { return false }
        if !cursorOpen {
            if let position = appliedPosition {
                try reader.openCursor(at: position)
            } else {
                guard let first = try reader.segments().first else { return false }
                try reader.openCursor(segment: first)
            }
            cursorOpen = true
        }
        lastReadLimit = limit
        var frames = 0
        while frames < 64, let batch = try reader.nextRecords(upTo: limit) {
            frames += 1
            for record in batch.records { try apply(record) }
            if transaction == nil { appliedPosition = batch.end }
        }
        guard frames > 0 else { return false }
        lastArrival = MonotonicClock.seconds()
        if transaction == nil { try commitIfDue(arrived: true) }
        return true
    }

    /// Commits the shape logs now unless ``CommitPacing`` defers a costly commit while WAL is
    /// still arriving, or a commit is still in flight (then once it is published).
    private func commitIfDue(arrived: Bool) throws {
        guard inFlight == nil else {
            commitOwed = true
            return
        }
        commitOwed = false
        guard pacing.shouldCommit(now: MonotonicClock.seconds(), dirtyShapes: dirtyShapes.count, arrived: arrived) else { return }
        try startCommit()
        publishProgress()
    }

    private func apply(_ record: SpoolRecord) throws {
        if record.kind == .streamReset {
            // ingest lost continuity with PostgreSQL here: no shape can be trusted past this point.
            let reset = try SpoolStreamReset(record: record)
            logger.error(
                "Stream reset in the spool; removing every shape",
                metadata: [LogKey.spoolEpoch: "\(reset.epoch)", LogKey.reason: "\(reset.reason)"])
            for handle in Array(shapes.keys) { removeShape(handle) }
            for (_, creation) in creations {
                creation.rejectAll(.unavailable(message: "The replication stream was reset, please retry", retryAfterSeconds: 1))
            }
            creations.removeAll()
            appliedCommitEnd = reset.resumeLSN
            return
        }
        try apply(try record.decode())
    }

    /// Routes one pgoutput message (the unit of work measured by `bench/router`).
    func apply(_ message: PgOutputMessage) throws {
        switch message {
        case .relation(let relation):
            relations[relation.relationID] = relation
            columnNames[relation.relationID] = relation.columns.map(\.name)
            for shape in shapesByRelation[relation.relationID]?.all ?? [] where !shape.resolve(relation: relation) {
                logger.info("Table schema changed; removing shape", metadata: [LogKey.shapeHandle: "\(shape.handle)"])
                removeShape(shape.handle)
            }
        case .begin(let begin):
            // Touched shapes are left only by a transaction that never committed.
            for shape in touched { shape.abandonOpenEntry() }
            transaction = RoutedTransaction(begin)
            transactionSequence += 1
            truncated.removeAll()
            touched.removeAll()
        case .insert, .update, .delete:
            guard var current = transaction, let change = RowChange(message) else { return }
            let op = current.nextOp()
            transaction = current
            changesSinceCommit += 1
            try route(change, op: op, in: current)
        case .truncate(let truncate):
            truncated.formUnion(truncate.relationIDs)
        case .commit(let commit):
            guard let current = transaction else { return }
            for shape in touched {
                try shape.commit()
                queueForCommit(shape)
            }
            touched.removeAll()
            for relationID in truncated {
                for shape in shapesByRelation[relationID]?.all ?? [] {
                    logger.info("Table truncated; removing shape", metadata: [LogKey.shapeHandle: "\(shape.handle)"])
                    removeShape(shape.handle)
                }
            }
            transaction = nil
            transactionsSinceCommit += 1
            appliedCommitEnd = commit.endLSN
            appliedCommitLSN = commit.commitLSN
            recentTransactions.append((current.xid, commit.endLSN))
            if recentTransactions.count > 8192 { recentTransactions.removeFirst(4096) }
        default:
            break
        }
    }

    /// Puts `shape` in ``dirtyShapes`` if it has uncommitted entries and is not there yet.
    func queueForCommit(_ shape: ActiveShape) {
        guard shape.dirty, !shape.queuedForCommit else { return }
        shape.queuedForCommit = true
        dirtyShapes.append(shape)
    }

    /// Appends what each shape of the change's relation gets from it.
    private func route(_ change: RowChange, op: UInt64, in current: RoutedTransaction) throws {
        guard let relationShapes = shapesByRelation[change.relationID], let relation = relations[change.relationID],
            let names = columnNames[change.relationID]
        else { return }
        let images = change.images
        for shape in relationShapes.candidates(row: images.row, old: images.old, names: names) {
            if shape.decidedForTransaction != transactionSequence {
                shape.decidedForTransaction = transactionSequence
                shape.begin(xid: current.xid, commitLSN: current.lsn)
                if shape.appliesToCurrentTransaction { touched.append(shape) }
            }
            guard shape.appliesToCurrentTransaction else { continue }
            do {
                if !(try shape.apply(change, op: op, in: current, relation: relation)) { removeShape(shape.handle) }
            } catch let tooCostly as FilterTooCostly {
                refuseCostlyFilter(shape.handle, tooCostly)
            }
        }
    }

    /// Makes every applied transaction visible: fsync + publish each touched shape log, then the
    /// checkpoint, then tell serve and ingest. A commit in flight is published first, even in the
    /// middle of a transaction (it covers whole transactions only; at a stop, nothing else will).
    func commitShapeLogs() throws {
        try finishCommit(waiting: true)
        guard transaction == nil else { return }
        try startCommit()
        try finishCommit(waiting: true)
    }

    /// Starts a group commit of every applied transaction (after publishing the one in flight):
    /// writes each touched shape log. A commit of few shapes is flushed and published at once; a
    /// larger one leaves its flush (`syncfs`, about 0.2 s for 10,000 shapes) running on
    /// ``flusher`` while the loop routes on, and ``finishCommit(waiting:)`` publishes it.
    func startCommit() throws {
        guard transaction == nil else { return }
        try finishCommit(waiting: true)
        let dirty = dirtyShapes.filter { shapes[$0.handle] === $0 }
        for shape in dirtyShapes { shape.queuedForCommit = false }
        dirtyShapes.removeAll(keepingCapacity: true)
        var commit = GroupCommitInFlight(
            shapes: dirty, position: appliedPosition, commitEnd: appliedCommitEnd, commitLSN: appliedCommitLSN,
            changes: changesSinceCommit, transactions: transactionsSinceCommit, began: MonotonicClock.seconds())
        changesSinceCommit = 0
        transactionsSinceCommit = 0
        // One group commit for all touched shape logs: a constant number of flushes however many
        // shapes the batch touched. Several shapes go through the journal when they can (one
        // file flushed); one shape flushes its own file, which costs the same.
        var writes = try ChangeLogGroupCommit(
            dirty.map(\.changes), appliedThroughLSN: appliedCommitEnd, journal: dirty.count > 1 ? journalWithRoom : nil)
        for shape in dirty { shape.dirty = false }
        if let journal, writes.journalRecord != nil {
            try journal.append(&writes.journalRecord!)
            try writes.publishJournaled()
            try published(commit, shapes: dirty, finishedAt: MonotonicClock.seconds())
            checkpointJournalIfIdle()
            return
        }
        if let flusher, dirty.count >= CommitPacing.minimumDeferredShapes {
            if journalCheckpoint != nil, let outcome = flusher.wait() { try finishJournalCheckpoint(outcome) }
            commit.writes = writes
            commit.journalEnd = journal?.end
            flusher.start()
            inFlight = commit
            return
        }
        let journalEnd = journal?.end
        try writes.publishFlushingHere()
        // Several writers flushed the whole file system, and with it every record's bytes.
        if writes.writers.count > 1, let journalEnd { try emptyJournal(ifStillEndingAt: journalEnd) }
        try published(commit, shapes: dirty, finishedAt: MonotonicClock.seconds())
    }

    /// Publishes the commit in flight once its flush ended, waiting for it when `waiting`.
    /// Returns false when it is still running.
    @discardableResult
    func finishCommit(waiting: Bool) throws -> Bool {
        guard let flusher else { return true }
        guard let commit = inFlight else {
            // A journal checkpoint is never waited for here: commits that do not use the
            // flusher, and commands, go on beside it.
            if journalCheckpoint != nil, let outcome = flusher.poll() { try finishJournalCheckpoint(outcome) }
            return true
        }
        guard let outcome = waiting ? flusher.wait() : flusher.poll() else { return false }
        inFlight = nil
        try outcome.result.get()
        // The flush began after every journaled commit wrote its shape files.
        if let end = commit.journalEnd { try emptyJournal(ifStillEndingAt: end) }
        // A shape removed meanwhile publishes nothing: its state record may be another's now.
        let live = commit.shapes.filter { shapes[$0.handle] === $0 }
        let writers = Set(live.map { ObjectIdentifier($0.changes) })
        try commit.writes?.publish(fileSystemSynced: true) { writers.contains(ObjectIdentifier($0)) }
        try published(commit, shapes: live, finishedAt: outcome.finishedAt)
        return true
    }

    /// What follows a group commit once the logs of `committed` (its shapes still registered) are
    /// durable and published: the byte counts, serve's notifications, the metrics, the
    /// checkpoint, ingest's consumed position.
    private func published(_ commit: GroupCommitInFlight, shapes committed: [ActiveShape], finishedAt: Double) throws {
        for shape in committed {
            let bytes = shape.changes.committedState.byteLength
            shapeLogBytes = shapeLogBytes + bytes - shape.reportedBytes
            shape.reportedBytes = bytes
        }
        // One message per batch of handles: encoding and sending one per shape cost more than
        // the commit itself when a transaction touches thousands of shapes.
        for start in stride(from: 0, to: committed.count, by: RouterToServe.shapesAdvancedBatch) {
            let batch = committed[start..<min(committed.count, start + RouterToServe.shapesAdvancedBatch)]
            services.notify(.shapesAdvanced(handles: batch.map(\.handle)))
        }
        services.gauges.flush(changes: commit.changes, transactions: commit.transactions, shapes: committed.count)
        services.gauges.setShapeLogBytes(shapeLogBytes)
        pacing.committed(shapes: commit.shapes.count, seconds: finishedAt - commit.began)
        if let position = commit.position {
            let next = RouterCheckpoint(position: position, commitEndLSN: commit.commitEnd, lastCommitLSN: commit.commitLSN)
            if next.commitEndLSN != checkpoint?.commitEndLSN || next.position != checkpoint?.position {
                Failpoint.hit("router.after-state")
                try next.write(to: configuration.storage.routerCheckpoint)
                checkpoint = next
                Failpoint.hit("router.after-checkpoint")
                services.notify(.lastSeenLSN(commit.commitLSN))
            }
        }
        services.reportConsumed(commit.commitEnd)
    }

    /// Tells the snapshot workers how far the loop has applied the spool.
    func publishProgress() {
        services.progress.publish(RouterProgress.Position(spool: appliedPosition, commitEnd: appliedCommitEnd))
    }
}

/// A group commit from its start to its publication: the shapes it covers and the point of the
/// spool it makes durable.
struct GroupCommitInFlight {
    var shapes: [ActiveShape]
    var position: SpoolPosition?
    var commitEnd: LSN
    var commitLSN: LSN
    /// Routed changes and transactions it publishes (the metrics count them once durable).
    var changes: Int
    var transactions: Int
    var began: Double
    /// The writes, when the flush runs off the loop.
    var writes: ChangeLogGroupCommit?
    /// The journal's end when the flush started: the flush covers every record before it.
    var journalEnd: UInt64?
}

/// The transaction being routed.
struct RoutedTransaction: Sendable {
    var xid: UInt32
    var lsn: LSN
    /// The commit LSN in decimal, as written into every entry.
    var lsnText: [UInt8]
    /// The next change's op index (protocol.md §7.2: steps of 2, so a key change fits two entries).
    var op: UInt64 = 0

    init(_ begin: PgOutputMessage.Begin) {
        xid = begin.xid
        lsn = begin.finalLSN
        lsnText = Array(String(begin.finalLSN.value).utf8)
    }

    /// Returns the op index of the next change and advances it.
    mutating func nextOp() -> UInt64 {
        defer { op += 2 }
        return op
    }
}

/// One row change of the stream, as routing needs it.
enum RowChange {
    case insert(PgOutputMessage.Insert)
    case update(PgOutputMessage.Update)
    case delete(PgOutputMessage.Delete)

    init?(_ message: PgOutputMessage) {
        switch message {
        case .insert(let insert): self = .insert(insert)
        case .update(let update): self = .update(update)
        case .delete(let delete): self = .delete(delete)
        default: return nil
        }
    }

    var relationID: UInt32 {
        switch self {
        case .insert(let insert): insert.relationID
        case .update(let update): update.relationID
        case .delete(let delete): delete.relationID
        }
    }

    /// The row images the change carries (the new one, or a delete's old one; and an update's
    /// old one when the stream carried it), for the shape index.
    var images: (row: [TupleData.Column], old: [TupleData.Column]?) {
        switch self {
        case .insert(let insert): (insert.newTuple.columns, nil)
        case .update(let update): (update.newTuple.columns, update.old?.tuple.columns)
        case .delete(let delete): (delete.old.tuple.columns, nil)
        }
    }

    /// The entries `builder` makes of this change.
    func entries(_ builder: ShapeChangeBuilder, op: UInt64, lsn: LSN) throws(WhereClauseError) -> PendingEntries {
        switch self {
        case .insert(let insert):
            try builder.insert(new: insert.newTuple.columns, op: op, lsn: lsn)
        case .update(let update):
            try builder.update(
                old: update.old?.tuple.columns, isFullRow: update.oldTuple != nil, new: update.newTuple.columns, op: op, lsn: lsn)
        case .delete(let delete):
            try builder.delete(old: delete.old.tuple.columns, isFullRow: delete.old.kind == .full, op: op, lsn: lsn)
        }
    }
}

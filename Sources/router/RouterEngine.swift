import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import ConduitCore
import Spool

/// router's main loop: the single writer of every shape log.
///
/// Confined to one thread. Each turn it handles queued shape requests, then reads the spool up
/// to the durable position ingest announced, routing each change to the shapes of its table.
/// At every transaction boundary where it has caught up (or after a bounded number of frames)
/// it commits the touched shape logs (fsync + publish), writes its checkpoint, notifies serve
/// processes and tells ingest how far it got.
final class RouterEngine {
    let configuration: RouterConfiguration
    let logger: Logger
    let inbox: RouterInbox
    let stop: StopSignal
    var notify: (RouterMessage) -> Void = { _ in }
    var reportConsumed: (LSN) -> Void = { _ in }

    let resolver: ShapeResolver
    var shapes: [String: ActiveShape] = [:]
    var shapesByRelation: [UInt32: RelationShapes] = [:]
    var handlesByIdentity: [String: String] = [:]
    var identityByHandle: [String: String] = [:]
    var relations: [UInt32: PgOutputMessage.Relation] = [:]
    /// Column names per relation, kept beside ``relations`` so routing a row allocates nothing.
    private var columnNames: [UInt32: [String]] = [:]

    private let reader: SpoolReader
    private var cursorOpen = false
    var checkpoint: RouterCheckpoint?
    /// Inside a transaction: its xid, commit LSN (decimal), next op index.
    private(set) var transaction: (xid: UInt32, lsn: LSN, lsnText: String, op: UInt64)?
    /// Sequence number of the current transaction; shapes decide lazily, on first touch,
    /// whether it applies to them, so a transaction costs nothing for shapes it never touches.
    private var transactionSequence: UInt64 = 0
    /// Shapes the current transaction applies to and touched.
    private var touched: [ActiveShape] = []
    /// Shapes with entries not yet committed to their change logs.
    private var dirtyShapes: [ObjectIdentifier: ActiveShape] = [:]
    private var truncated: Set<UInt32> = []
    /// Latest commit fully applied (possibly not yet committed to the shape logs).
    var appliedCommitEnd: LSN = .zero
    var appliedCommitLSN: LSN = .zero
    private var appliedPosition: SpoolPosition?
    /// xids of recently applied transactions, to detect a snapshot that missed one.
    var recentXIDs: [UInt32] = []

    init(configuration: RouterConfiguration, inbox: RouterInbox, stop: StopSignal, logger: Logger) throws {
        self.configuration = configuration
        self.inbox = inbox
        self.stop = stop
        self.logger = logger
        self.resolver = ShapeResolver(
            databaseURL: configuration.databaseURL, publication: configuration.publicationName, logger: logger)
        try FileSystem.createDirectory(configuration.storage.shapesDirectory)
        try FileSystem.createDirectory(configuration.storage.spoolDirectory)
        self.reader = try SpoolReader(directory: configuration.storage.spoolDirectory)
        self.checkpoint = RouterCheckpoint.read(from: configuration.storage.routerCheckpoint)
        if let checkpoint {
            appliedCommitEnd = checkpoint.commitEndLSN
            appliedCommitLSN = checkpoint.lastCommitLSN
            appliedPosition = checkpoint.position
        }
    }

    /// Seconds between checks that every shape's table still exists under its name.
    var reconcileInterval: Double { Double(configuration.tableCheckSeconds) }
    private var lastReconcile: Double = 0

    /// Runs until a stop is requested.
    func run() throws {
        try loadShapes()
        while !stop.isRequested {
            if transaction == nil, MonotonicClock.seconds() - lastReconcile >= reconcileInterval {
                lastReconcile = MonotonicClock.seconds()
                reconcileTables()
            }
            // Shapes are created only between transactions, so a new shape never sees half of one.
            if transaction == nil {
                for command in inbox.takeCommands() { handle(command) }
            }
            let progressed = try readSpool()
            if !progressed { inbox.wait(milliseconds: 100) }
        }
        try commitShapeLogs()
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
        var frames = 0
        while frames < 64, let batch = try reader.nextRecords(upTo: limit) {
            frames += 1
            for record in batch.records { try apply(record) }
            if transaction == nil { appliedPosition = batch.end }
        }
        guard frames > 0 else { return false }
        if transaction == nil { try commitShapeLogs() }
        return true
    }

    private func apply(_ record: SpoolRecord) throws {
        if record.kind == .streamReset {
            // ingest lost continuity with PostgreSQL here: no shape can be trusted past this point.
            let reset = try SpoolStreamReset(record: record)
            logger.error("Stream reset in the spool; removing every shape", metadata: ["spool.epoch": "\(reset.epoch)", "reason": "\(reset.reason)"])
            for handle in Array(shapes.keys) { removeShape(handle) }
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
                logger.info("Table schema changed; removing shape", metadata: ["shape.handle": "\(shape.handle)"])
                removeShape(shape.handle)
            }
        case .begin(let begin):
            transaction = (begin.xid, begin.finalLSN, String(begin.finalLSN.value), 0)
            transactionSequence += 1
            truncated.removeAll()
            touched.removeAll()
        case .insert(let insert):
            try route(insert.relationID, rows: [insert.newTuple.columns]) { builder, op, lsn in
                builder.insert(new: insert.newTuple.columns, op: op, lsn: lsn)
            }
        case .update(let update):
            let rows = [update.newTuple.columns] + (update.old.map { [$0.tuple.columns] } ?? [])
            try route(update.relationID, rows: rows) { builder, op, lsn in
                builder.update(
                    old: update.old?.tuple.columns, isFullRow: update.oldTuple != nil,
                    new: update.newTuple.columns, op: op, lsn: lsn)
            }
        case .delete(let delete):
            try route(delete.relationID, rows: [delete.old.tuple.columns]) { builder, op, lsn in
                builder.delete(old: delete.old.tuple.columns, isFullRow: delete.old.kind == .full, op: op, lsn: lsn)
            }
        case .truncate(let truncate):
            truncated.formUnion(truncate.relationIDs)
        case .commit(let commit):
            guard let current = transaction else { return }
            for shape in touched {
                try shape.commit(lsn: current.lsnText, xid: current.xid)
                if shape.dirty { dirtyShapes[ObjectIdentifier(shape)] = shape }
            }
            touched.removeAll()
            for relationID in truncated {
                for shape in shapesByRelation[relationID]?.all ?? [] {
                    logger.info("Table truncated; removing shape", metadata: ["shape.handle": "\(shape.handle)"])
                    removeShape(shape.handle)
                }
            }
            transaction = nil
            appliedCommitEnd = commit.endLSN
            appliedCommitLSN = commit.commitLSN
            recentXIDs.append(current.xid)
            if recentXIDs.count > 8192 { recentXIDs.removeFirst(4096) }
        default:
            break
        }
    }

    /// Advances the op index (by 2 per change, protocol.md §7.2) and appends what each shape of
    /// the relation gets from the change.
    private func route(
        _ relationID: UInt32, rows: [[TupleData.Column]], _ build: (ShapeChangeBuilder, UInt64, LSN) -> [PendingEntry]
    ) throws {
        guard var current = transaction else { return }
        let op = current.op
        current.op += 2
        transaction = current
        guard let relationShapes = shapesByRelation[relationID], let relation = relations[relationID],
            let names = columnNames[relationID]
        else { return }
        for shape in relationShapes.candidates(rows: rows, names: names) {
            if shape.decidedForTransaction != transactionSequence {
                shape.decidedForTransaction = transactionSequence
                shape.begin(xid: current.xid, commitLSN: current.lsn)
                if shape.appliesToCurrentTransaction { touched.append(shape) }
            }
            guard shape.appliesToCurrentTransaction else { continue }
            if shape.builder == nil, !shape.resolve(relation: relation) {
                removeShape(shape.handle)
                continue
            }
            guard let builder = shape.builder else { continue }
            let entries = build(builder, op, current.lsn)
            if !entries.isEmpty { try shape.add(entries, lsn: current.lsnText, xid: current.xid) }
        }
    }

    /// Makes every applied transaction visible: fsync + publish each touched shape log, then the
    /// checkpoint, then tell serve and ingest.
    func commitShapeLogs() throws {
        guard transaction == nil else { return }
        let dirty = dirtyShapes.values.filter { shapes[$0.handle] === $0 }
        dirtyShapes.removeAll()
        // One group commit for all touched shape logs: a constant number of file-system flushes
        // however many shapes the batch touched.
        try ChangeLogWriter.commit(dirty.map(\.changes), appliedThroughLSN: appliedCommitEnd)
        for shape in dirty {
            shape.dirty = false
            if let latest = shape.changes.committedState.latest {
                notify(.shapeAdvanced(handle: shape.handle, latest: latest.description))
            }
        }
        if let position = appliedPosition {
            let next = RouterCheckpoint(position: position, commitEndLSN: appliedCommitEnd, lastCommitLSN: appliedCommitLSN)
            if next.commitEndLSN != checkpoint?.commitEndLSN || next.position != checkpoint?.position {
                try next.write(to: configuration.storage.routerCheckpoint)
                checkpoint = next
                notify(.lastSeenLSN(lsn: appliedCommitLSN))
            }
        }
        reportConsumed(appliedCommitEnd)
    }
}

extension RouterEngine {
    /// Removes the shapes of tables that were dropped or renamed (protocol.md §8.5): neither is
    /// visible in the replication stream when no row changes, and a table dropped and created
    /// again under the same name is a new relation that must not be served under the old handle.
    func reconcileTables() {
        let relationIDs = Array(shapesByRelation.keys)
        guard !relationIDs.isEmpty else { return }
        let current: [UInt32: (schema: String, name: String)]
        do {
            current = try resolver.currentNames(of: relationIDs)
        } catch {
            logger.debug("Table check skipped: database unreachable", metadata: ["error": "\(error)"])
            return
        }
        for relationID in relationIDs {
            for shape in shapesByRelation[relationID]?.all ?? [] {
                let definition = shape.metadata.definition
                if let found = current[relationID], found.schema == definition.schema, found.name == definition.table { continue }
                logger.info("Table dropped or renamed; removing shape", metadata: ["shape.handle": "\(shape.handle)"])
                removeShape(shape.handle)
            }
        }
    }
}

import ConduitCore
import Foundation
import Spool

/// Rebuilds shapes' change logs from their snapshots and the retained spool, without new
/// snapshots (`router replay`). Run with router stopped: the caller holds `router.lock`.
///
/// A shape's change log holds exactly the transactions after the spool position its snapshot
/// merge started from (``RouterShapeRecord/replayFrom``) up to router's checkpoint, filtered by
/// its snapshot's visibility. So it can be rebuilt when, and only when, the spool still holds
/// everything from that position on: the segment it lies in (or, for a shape created before the
/// spool held anything, the spool's very first segment, which has no predecessor). The rebuilt
/// log ends at the checkpoint, where router resumes; entries keep their offsets (commit LSN and
/// op index of the stream), so clients' offsets stay valid.
struct ShapeReplay {
    let configuration: RouterConfiguration
    /// The storage's state table, for shapes whose committed state is a record in it.
    let stateTable: ShapeStateTable

    /// Also makes durable what the last router left in its commit journal (and empties it): the
    /// rebuilt logs must not be overwritten by its records later.
    init(configuration: RouterConfiguration) throws {
        self.configuration = configuration
        try CommitJournal.recover(path: configuration.storage.commitJournal, shapes: configuration.storage.shapesDirectory)
        self.stateTable = try ShapeStateTable(path: configuration.storage.shapeStates)
    }

    /// What happened to one shape.
    enum Outcome: Equatable {
        case rebuilt(handle: String, entries: UInt64, bytes: UInt64)
        /// Not rebuilt, and why (its files are untouched).
        case refused(handle: String, reason: String)

        var line: String {
            switch self {
            case .rebuilt(let handle, let entries, let bytes): "\(handle): rebuilt, \(entries) changes, \(bytes) bytes"
            case .refused(let handle, let reason): "\(handle): not rebuilt: \(reason)"
            }
        }
    }

    /// Every shape handle in the storage directory.
    func allHandles() throws -> [String] {
        try FileSystem.listDirectory(configuration.storage.shapesDirectory).filter { !$0.hasPrefix(".") }.sorted()
    }

    func rebuild(_ handle: String) -> Outcome {
        do {
            return try rebuildOrRefuse(handle)
        } catch {
            return .refused(handle: handle, reason: "\(error)")
        }
    }

    private func rebuildOrRefuse(_ handle: String) throws -> Outcome {
        let directory = configuration.storage.shapeDirectory(handle)
        func refuse(_ reason: String) -> Outcome { .refused(handle: handle, reason: reason) }
        guard FileSystem.exists(directory) else { return refuse("no such shape") }
        guard let (metadata, record) = try RouterShapeRecord.readShape(fromDirectory: directory) else {
            return refuse("its definition is missing (no shape document in changes.log, no shape.json)")
        }
        guard let record, let columns = record.whereColumns else {
            return refuse("router's record of the shape is missing or from a version that did not store column types")
        }
        guard let origin = record.replayFrom else {
            return refuse("created before Conduit recorded where a shape's change log starts in the spool; recreate it instead")
        }
        guard try ShapeLogReader(directory: directory).loadSnapshotState()?.isComplete == true else {
            return refuse("its snapshot never completed")
        }
        if let reason = try spoolGap(from: origin.spool) { return refuse(reason) }
        let filter = try CompiledFilter.compile(metadata.definition, columns: columns, limits: configuration.whereLimits)
        let checkpoint = try RouterCheckpoint.read(from: configuration.storage.routerCheckpoint)
        let end = checkpoint.map {
            SpoolDurablePosition(segment: $0.position.segment, offset: $0.position.offset, commitEndLSN: $0.commitEndLSN)
        }
        // The old log goes first: a rebuild that fails half-way leaves a log router replaces
        // with its own replay from the shape's committed state, never a mix of two. A change log
        // that holds the shape's document (``ChangeLogDocument``) stays: the rebuilt entries start
        // again after the document, over the old ones.
        let files = ShapeLogFiles(directory: directory)
        let keepsDocument = try ChangeLogDocument.read(path: files.changeLog) != nil
        for path in [files.changeLog, files.changeIndex, files.changeChunks, files.changeState]
        where FileSystem.exists(path) && !(keepsDocument && path == files.changeLog) {
            try FileSystem.removeFile(path)
        }
        // A record in the state table starts again from the empty state, like a new shape's.
        let changes = try ChangeLogWriter(
            directory: directory, chunkThresholdBytes: configuration.chunkBytes,
            stateStore: metadata.stateRecord.map { .table(stateTable, record: $0, tag: ShapeStateTable.tag(handle: handle), fresh: true) }
                ?? .file)
        try changes.commit(appliedThroughLSN: origin.commitEnd)
        let shape = ActiveShape(metadata: metadata, changes: changes, filter: filter?.rowFilter, visibility: record.visibility)
        if let end {
            guard try ShapeCatchUp.replay(into: shape, directory: configuration.storage.spoolDirectory, from: origin.spool, to: end) else {
                return refuse(
                    "the spool after its snapshot holds a truncate, a schema change or a stream reset of its table: the shape is no longer valid"
                )
            }
            try changes.commit(appliedThroughLSN: end.commitEndLSN)
        }
        let state = changes.committedState
        return .rebuilt(handle: handle, entries: state.entryCount, bytes: state.byteLength)
    }

    /// Why the spool cannot replay from `start`, or nil when it can.
    private func spoolGap(from start: SpoolPosition?) throws -> String? {
        let segments = try SpoolCatalog.list(directory: configuration.storage.spoolDirectory)
        guard let first = segments.first else {
            return start == nil ? nil : "the spool is empty; it needs segment \(start!.segment.paddedHex)"
        }
        if let start {
            guard segments.contains(where: { $0.key == start.segment }) else {
                return
                    "the spool no longer holds segment \(start.segment.paddedHex) (its oldest is \(first.key.paddedHex)): retention removed what the shape needs; recreate it instead"
            }
            return nil
        }
        guard first.previousSegment == nil else {
            return
                "the shape starts at the spool's beginning, which retention removed (oldest segment \(first.key.paddedHex)); recreate it instead"
        }
        return nil
    }
}

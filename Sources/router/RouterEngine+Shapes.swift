import Foundation
import Logging
import ConduitCore
import WhereClause

#if canImport(Glibc)
import Glibc
#endif

extension RouterEngine {
    /// Reloads the shapes of a previous run. A shape whose snapshot never completed cannot be
    /// resumed and is deleted (its clients get 409 and start again).
    func loadShapes() throws {
        let root = configuration.storage.shapesDirectory
        for handle in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where !handle.hasPrefix(".") {
            let directory = configuration.storage.shapeDirectory(handle)
            do {
                guard let metadata = try ShapeMetadata.read(fromDirectory: directory),
                    let state = try ShapeLogReader(directory: directory).loadState(), state.snapshot.isComplete
                else {
                    logger.info("Discarding a shape whose snapshot did not complete", metadata: ["shape.handle": "\(handle)"])
                    deleteDirectory(handle)
                    continue
                }
                let resolved = try? resolver.resolve(metadata.definition)
                let changes = try ChangeLogWriter(directory: directory, chunkThresholdBytes: configuration.chunkBytes)
                let shape = ActiveShape(
                    metadata: metadata,
                    changes: changes,
                    filter: resolved?.filter?.rowFilter,
                    visibility: RouterShapeState.read(fromDirectory: directory)?.visibility)
                register(shape, identity: resolved?.identity, conditions: resolved?.filter?.indexable ?? [])
            } catch {
                logger.error("Cannot load shape; discarding it", metadata: ["shape.handle": "\(handle)", "error": "\(error)"])
                deleteDirectory(handle)
            }
        }
        logger.info("Shapes loaded", metadata: ["shapes.count": "\(shapes.count)"])
    }

    func handle(_ command: RouterCommand) {
        switch command {
        case .shapeRequest(let peer, let requestID, let definition, let create):
            do throws(ShapeRequestError) {
                let resolved = try resolver.resolve(definition)
                if let handle = handlesByIdentity[resolved.identity] {
                    peer.send(.shapeReply(requestID: requestID, handle: handle))
                } else if create {
                    let handle = try createShape(resolved)
                    peer.send(.shapeReply(requestID: requestID, handle: handle))
                } else {
                    peer.send(.shapeReply(requestID: requestID, handle: nil))
                }
            } catch {
                switch error {
                case .invalid(let field, let message):
                    peer.send(.shapeError(requestID: requestID, status: 400, field: field, message: message))
                case .unavailable(let message):
                    logger.warning("Shape request failed", metadata: ["error": "\(message)"])
                    peer.send(.shapeError(requestID: requestID, status: 503, field: nil, message: message))
                }
            }
        case .snapshotFailed(let handle, let reason):
            logger.error("Snapshot failed; removing shape", metadata: ["shape.handle": "\(handle)", "error": "\(reason)"])
            removeShape(handle)
        case .snapshotFinished(let handle):
            logger.info("Snapshot complete", metadata: ["shape.handle": "\(handle)"])
            notifySnapshot(handle)
        case .snapshotProgressed(let handle):
            notifySnapshot(handle)
        }
    }

    /// Creates a shape: prepares the table, opens its snapshot, registers it so every later
    /// transaction not visible in the snapshot is applied, then copies the rows in the background.
    private func createShape(_ resolved: ResolvedShape) throws(ShapeRequestError) -> String {
        try resolver.prepare(resolved.table)
        let handle = Self.mintHandle(identity: resolved.identity)
        let directory = configuration.storage.shapeDirectory(handle)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let metadata = resolved.metadata(handle: handle)
            try metadata.write(toDirectory: directory)
            let (session, visibility) = try openSnapshot(resolved)
            try RouterShapeState(visibility: visibility).write(toDirectory: directory)
            let changes = try ChangeLogWriter(directory: directory, chunkThresholdBytes: configuration.chunkBytes)
            try changes.commit(appliedThroughLSN: appliedCommitEnd)
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: configuration.chunkBytes)
            let shape = ActiveShape(metadata: metadata, changes: changes, filter: resolved.filter?.rowFilter, visibility: visibility)
            register(shape, identity: resolved.identity, conditions: resolved.filter?.indexable ?? [])
            if let relation = relations[metadata.relationID] { _ = shape.resolve(relation: relation) }
            startCopy(session: session, writer: writer, visibility: visibility, handle: handle)
            logger.info(
                "Shape created",
                metadata: ["shape.handle": "\(handle)", "pg.table": "\(resolved.table.schema).\(resolved.table.name)"])
            return handle
        } catch {
            deleteDirectory(handle)
            throw .unavailable("Failed to create shape, please retry (\(error))")
        }
    }

    /// Begins the snapshot transaction. If a transaction router already applied turns out not
    /// to be visible in it (it committed to the WAL before leaving PostgreSQL's proc array), the
    /// shape would miss it: take the snapshot again.
    private func openSnapshot(_ resolved: ResolvedShape) throws -> (SnapshotSession, SnapshotVisibility) {
        var attempt = 0
        while true {
            let session = try SnapshotSession(databaseURL: configuration.databaseURL, resolved: resolved)
            let visibility = try session.begin()
            let missed = recentXIDs.contains { xid in !visibility.isVisible(xid: xid) && !visibility.startedAfter(xid: xid) }
            if !missed || attempt >= 50 { return (session, visibility) }
            attempt += 1
            usleep(10_000)
        }
    }

    /// Wakes serve processes waiting for a shape's snapshot chunks.
    private func notifySnapshot(_ handle: String) {
        guard let shape = shapes[handle] else { return }
        notify(.shapeAdvanced(handle: handle, latest: (shape.changes.committedState.latest ?? .snapshotEnd).description))
    }

    private func startCopy(session: SnapshotSession, writer: SnapshotWriter, visibility: SnapshotVisibility, handle: String) {
        let transfer = SnapshotTransfer(session: session, writer: writer)
        let inbox = self.inbox
        let thread = Thread {
            do {
                try transfer.session.copyRows(into: transfer.writer, visibility: visibility) {
                    inbox.post(.snapshotProgressed(handle: handle))
                }
                inbox.post(.snapshotFinished(handle: handle))
            } catch {
                inbox.post(.snapshotFailed(handle: handle, reason: "\(error)"))
            }
        }
        thread.start()
    }

    func register(_ shape: ActiveShape, identity: String?, conditions: [IndexableCondition]) {
        shapes[shape.handle] = shape
        let relationShapes = shapesByRelation[shape.metadata.relationID] ?? RelationShapes()
        relationShapes.add(shape, conditions: conditions)
        shapesByRelation[shape.metadata.relationID] = relationShapes
        if let identity {
            handlesByIdentity[identity] = shape.handle
            identityByHandle[shape.handle] = identity
        }
    }

    /// Forgets a shape and deletes its files; serve processes are told so its clients refetch.
    func removeShape(_ handle: String) {
        guard let shape = shapes.removeValue(forKey: handle) else { return }
        shapesByRelation[shape.metadata.relationID]?.remove(shape)
        if let identity = identityByHandle.removeValue(forKey: handle) { handlesByIdentity[identity] = nil }
        deleteDirectory(handle)
        notify(.shapeRemoved(handle: handle))
    }

    /// Renames the folder out of the way first, so serve never sees a half-deleted shape.
    func deleteDirectory(_ handle: String) {
        let directory = configuration.storage.shapeDirectory(handle)
        let trash = configuration.storage.shapesDirectory + "/.removed-" + handle
        if rename(directory, trash) == 0 {
            try? FileManager.default.removeItem(atPath: trash)
        } else {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// `<hash of the definition>-<microseconds since 1970>`: unique over time for one definition.
    static func mintHandle(identity: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in identity.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        let micros = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        return "\(hash)-\(micros)"
    }
}

/// Hands a snapshot's connection and writer to the thread that copies the rows.
///
/// - Important: `@unchecked Sendable` because ownership moves: the main loop creates both,
///   passes them here and never touches them again; only the copy thread uses them afterwards.
private final class SnapshotTransfer: @unchecked Sendable {
    let session: SnapshotSession
    let writer: SnapshotWriter

    init(session: SnapshotSession, writer: SnapshotWriter) {
        self.session = session
        self.writer = writer
    }
}

import ConduitCore
import Foundation
import Logging
import Spool
import WhereClause

extension RouterEngine {
    /// Reloads the shapes of a previous run, each with the meaning it was created with: its filter
    /// is compiled again from the column types stored beside it, so neither a database that is
    /// down nor a table altered meanwhile can change what it admits.
    ///
    /// A shape that cannot be resumed (snapshot never completed, written by a version that did not
    /// store its columns, damaged files) is removed, and its clients get 409 and refetch. An I/O
    /// error that may pass (a full disk, too many open files) is thrown instead: router must not
    /// delete shapes because of a transient fault.
    func loadShapes() throws {
        let root = configuration.storage.shapesDirectory
        let names = try FileSystem.listDirectory(root)
        for name in names where name.hasPrefix(".removed-") {
            deleteTree(root + "/" + name)
        }
        let handles = names.filter { !$0.hasPrefix(".") }
        // Reading, decoding and compiling each shape is independent of the others: spread over
        // the cores (a restart with many shapes is bound by it), and registered in order on this
        // thread while the workers go on.
        shapes.reserveCapacity(shapes.count + handles.count)
        handlesByIdentity.reserveCapacity(handlesByIdentity.count + handles.count)
        identityByHandle.reserveCapacity(identityByHandle.count + handles.count)
        handlesByDefinition.reserveCapacity(handlesByDefinition.count + handles.count)
        let configuration = self.configuration
        let stateTable = self.stateTable
        try InOrderPipeline.run(
            count: handles.count, workers: min(ProcessInfo.processInfo.activeProcessorCount, 8),
            job: { index in LoadedShapeBox(Self.load(handles[index], configuration: configuration, stateTable: stateTable)) }
        ) { index, loaded in
            let handle = handles[index]
            switch loaded.shape {
            case .ready(let shape, _, _) where shape.metadata.stateRecord.map({ !stateTable.claim($0) }) ?? false:
                // Its state was found under its own tag, so no other shape can hold the record.
                discard(handle, reason: "its state record \(shape.metadata.stateRecord ?? -1) is claimed twice")
            case .ready(let shape, let identity, let conditions):
                register(shape, identity: identity, conditions: conditions)
                handlesByDefinition[shape.metadata.definition] = handle
            case .discard(let reason):
                discard(handle, reason: reason)
            case .failed(let error):
                throw error
            }
        }
        stateTable.collectFree()
        logger.info("Shapes loaded", metadata: [LogKey.shapeCount: "\(shapes.count)"])
    }

    /// What loading one shape folder came to.
    enum LoadedShape {
        case ready(ActiveShape, identity: String, conditions: [IndexableCondition])
        /// The shape cannot be resumed: remove it (its clients get 409).
        case discard(reason: String)
        /// An error that may pass: router must not start (nor delete anything).
        case failed(any Error)
    }

    /// Loads the shape in folder `handle`. Runs on any thread: touches nothing of the engine.
    private static func load(_ handle: String, configuration: RouterConfiguration, stateTable: ShapeStateTable) -> LoadedShape {
        let directory = configuration.storage.shapeDirectory(handle)
        do {
            // Only the snapshot's state: the change log's state is read (and checked) by the change
            // log writer below, once.
            guard let (metadata, record) = try RouterShapeRecord.readShape(fromDirectory: directory),
                try ShapeLogReader(directory: directory).loadSnapshotState()?.isComplete == true
            else {
                return .discard(reason: "its snapshot did not complete")
            }
            guard let record, let identity = record.identity, let columns = record.whereColumns
            else {
                return .discard(reason: "it was written by an older version that did not store its column types")
            }
            let filter: CompiledFilter?
            do {
                filter = try CompiledFilter.compile(metadata.definition, columns: columns, limits: configuration.whereLimits)
            } catch {
                return .discard(reason: "its where clause no longer compiles (\(error))")
            }
            let changes = try ChangeLogWriter(
                directory: directory, chunkThresholdBytes: configuration.chunkBytes,
                stateStore: metadata.stateRecord.map {
                    .table(stateTable, record: $0, tag: ShapeStateTable.tag(handle: metadata.handle), fresh: false)
                } ?? .file)
            let shape = ActiveShape(metadata: metadata, changes: changes, filter: filter?.rowFilter, visibility: record.visibility)
            shape.whereColumns = columns
            return .ready(shape, identity: identity, conditions: filter?.indexable ?? [])
        } catch let error as ShapeLogError {
            guard case .corrupt = error else { return .failed(error) }
            return .discard(reason: "its files are damaged (\(error))")
        } catch let error as JSONReadError {
            return .discard(reason: "its stored definition cannot be decoded (\(error))")
        } catch let error as ChecksummedFile.Mismatch {
            // Damage to one shape's file removes that shape, as for its logs, rather than keep
            // router (and every other shape) from starting.
            return .discard(reason: "its files are damaged (\(error))")
        } catch {
            return .failed(error)
        }
    }

    /// Deletes a shape found on disk that cannot be resumed.
    private func discard(_ handle: String, reason: String) {
        logger.warning("Removing a shape that cannot be resumed", metadata: [LogKey.shapeHandle: "\(handle)", LogKey.reason: "\(reason)"])
        deleteDirectory(handle)
        services.notify(.shapeRemoved(handle: handle))
    }

    func register(_ shape: ActiveShape, identity: String, conditions: [IndexableCondition]) {
        shapes[shape.handle] = shape
        let relationShapes = shapesByRelation[shape.metadata.relationID] ?? RelationShapes()
        relationShapes.add(shape, conditions: conditions)
        shapesByRelation[shape.metadata.relationID] = relationShapes
        handlesByIdentity[identity] = shape.handle
        identityByHandle[shape.handle] = identity
        shape.reportedBytes = shape.changes.committedState.byteLength
        shapeLogBytes += shape.reportedBytes
        services.gauges.setShapes(shapes.count)
        services.gauges.setShapeLogBytes(shapeLogBytes)
    }

    /// Forgets a shape and deletes its files; serve processes are told so its clients refetch.
    /// Removes a shape whose where clause proved too costly for a row, and answers its
    /// definition with 400 for a while (``FilterTooCostly``).
    func refuseCostlyFilter(_ handle: String, _ tooCostly: FilterTooCostly) {
        logger.error(
            "Where clause too costly to evaluate for a row; removing shape",
            metadata: [LogKey.shapeHandle: "\(handle)", LogKey.reason: "\(tooCostly.reason)"])
        if let identity = identityByHandle[handle] { refusedDefinitions.refuse(identity, tooCostly.rejection) }
        removeShape(handle)
    }

    func removeShape(_ handle: String) {
        guard let shape = shapes.removeValue(forKey: handle) else { return }
        defer { releaseStateRecord(shape.metadata.stateRecord) }
        shapesByRelation[shape.metadata.relationID]?.remove(shape)
        if shapesByRelation[shape.metadata.relationID]?.isEmpty == true { shapesByRelation[shape.metadata.relationID] = nil }
        if let identity = identityByHandle.removeValue(forKey: handle) { handlesByIdentity[identity] = nil }
        handlesByDefinition = handlesByDefinition.filter { $0.value != handle }
        shapeLogBytes -= min(shapeLogBytes, shape.reportedBytes)
        services.gauges.setShapes(shapes.count)
        services.gauges.setShapeLogBytes(shapeLogBytes)
        deleteDirectory(handle)
        services.notify(.shapeRemoved(handle: handle))
    }

    /// Frees a removed shape's record in the state table, after its folder is gone. A failure
    /// only leaks the record until the next start (its slots keep failing the next shape's tag).
    func releaseStateRecord(_ record: Int?) {
        guard let record else { return }
        do {
            try stateTable.release(record)
        } catch {
            logger.error("Cannot clear a removed shape's state record", metadata: [LogKey.error: "\(error)"])
        }
    }

    /// Removes the shape served least recently, to make room under ``RouterConfiguration/maxShapes``.
    /// Returns false when there is none.
    func evictLeastRecentlyServed() -> Bool {
        guard let oldest = shapes.values.min(by: { $0.lastServed < $1.lastServed }) else { return false }
        logger.info("Shape limit reached; evicting the least recently served shape", metadata: [LogKey.shapeHandle: "\(oldest.handle)"])
        removeShape(oldest.handle)
        return true
    }

    /// Renames the folder out of the way first, so serve never sees a half-deleted shape, then
    /// deletes it. A folder that cannot be deleted now is deleted at the next start.
    func deleteDirectory(_ handle: String) {
        let directory = configuration.storage.shapeDirectory(handle)
        let trash = configuration.storage.shapesDirectory + "/.removed-" + handle
        do {
            try FileSystem.rename(directory, to: trash)
        } catch {
            if error.errno != ENOENT {
                logger.error("Cannot move a removed shape's folder away", metadata: [LogKey.error: "\(error)"])
            }
            return
        }
        deleteTree(trash)
    }

    private func deleteTree(_ path: String) {
        do {
            try FileSystem.removeTree(path)
        } catch {
            logger.error("Cannot delete a removed shape's files; will retry at the next start", metadata: [LogKey.error: "\(error)"])
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

/// A loaded shape on its way from the worker that loaded it to the thread that registers it
/// (``InOrderPipeline`` hands it over once, after a semaphore): nothing else touches it meanwhile.
private struct LoadedShapeBox: @unchecked Sendable {
    let shape: RouterEngine.LoadedShape

    init(_ shape: RouterEngine.LoadedShape) {
        self.shape = shape
    }
}

import ConduitCore
import Logging

/// Shape requests on the routing loop. The loop only ever decides and hands work on: resolving a
/// definition, preparing a table and opening a snapshot happen on workers, which post their
/// results back here, so a slow or failing request delays nothing but itself.
extension RouterEngine {
    func handle(_ command: RouterCommand) throws {
        switch command {
        case .shapeRequest(let origin, let definition):
            if let handle = handlesByDefinition[definition], let shape = shapes[handle] {
                shape.lastServed = MonotonicClock.seconds()
                origin.reply(handle: handle)
                return
            }
            let inbox = self.inbox
            let queued = services.catalog.submit { resolver in
                inbox.post(.resolved(origin, definition, resolver.resolve(definition)))
            }
            if !queued { origin.reject(Self.busy) }
        case .shapesServed(let handles):
            let now = MonotonicClock.seconds()
            for handle in handles { shapes[handle]?.lastServed = now }
        case .subsetRequest(let origin, let handle, let subset):
            subsetRequest(origin, handle: handle, subset)
        case .deleteRequest(let origin, let definition, let handle):
            deleteRequest(origin, definition: definition, handle: handle)
        case .deleteResolved(let origin, let handle, let result):
            deleteResolved(origin, handle: handle, result)
        case .resolved(let origin, _, .failure(let rejection)):
            origin.reject(rejection)
        case .resolved(let origin, let definition, .success(let resolved)):
            resolvedRequest(origin, definition, resolved)
        case .snapshotOpenFailed(let identity, let rejection):
            if case .unavailable(let message, _) = rejection {
                logger.warning("Shape creation failed", metadata: [LogKey.reason: "\(message)"])
            }
            creations.removeValue(forKey: identity)?.rejectAll(rejection)
        case .snapshotOpened(let ticket):
            accept(ticket)
        case .snapshotFailed(let handle, let reason, let rejection):
            logger.error("Snapshot failed; removing shape", metadata: [LogKey.shapeHandle: "\(handle)", LogKey.error: "\(reason)"])
            if let rejection, let identity = identityByHandle[handle] { refusedDefinitions.refuse(identity, rejection) }
            removeShape(handle)
        case .snapshotFinished(let handle):
            logger.info("Snapshot complete", metadata: [LogKey.shapeHandle: "\(handle)"])
            notifySnapshot(handle)
        case .snapshotProgressed(let handle):
            notifySnapshot(handle)
        case .tableNames(let asked, let found):
            reconcileTables(asked: asked, found: found)
        }
    }

    static let busy = ShapeRejection.unavailable(message: "Too many shape requests are waiting; please retry", retryAfterSeconds: 2)

    private func resolvedRequest(_ origin: ShapeRequestOrigin, _ definition: ShapeDefinition, _ resolved: ResolvedShape) {
        let identity = resolved.identity
        if let rejection = refusedDefinitions.rejection(for: identity) {
            origin.reject(rejection)
            return
        }
        if let handle = handlesByIdentity[identity], let shape = shapes[handle] {
            remember(definition, for: handle)
            shape.lastServed = MonotonicClock.seconds()
            origin.reply(handle: handle)
            return
        }
        if creations[identity] != nil {
            creations[identity]?.waiters.append(origin)
            creations[identity]?.definitions.insert(definition)
            return
        }
        let job = ShapeSnapshotJob(
            resolved: resolved, configuration: configuration, inbox: inbox, progress: services.progress, logger: logger,
            gauges: services.gauges)
        guard services.snapshots.submit({ worker in job.run(on: worker) }) else {
            origin.reject(Self.busy)
            return
        }
        creations[identity] = PendingCreation(resolved: resolved, waiters: [origin], definitions: [definition])
    }

    /// A worker opened a snapshot: register the shape with it, replay what the loop routed since
    /// the worker read the loop's position, and let the worker copy the rows.
    private func accept(_ ticket: SnapshotTicket) {
        let resolved = ticket.resolved
        let identity = resolved.identity
        guard let creation = creations[identity] else {
            ticket.decide(.abandoned)
            return
        }
        // A transaction applied before the worker read the position, yet not visible in the
        // snapshot (it reached the WAL before leaving PostgreSQL's proc array): the shape would
        // miss it. Take the snapshot again.
        let visibility = ticket.visibility
        let missed = recentTransactions.contains { applied in
            applied.commitEnd <= ticket.start.commitEnd && !visibility.isVisible(xid: applied.xid)
                && !visibility.startedAfter(xid: applied.xid)
        }
        if missed {
            ticket.decide(.retake)
            return
        }
        creations[identity] = nil
        while shapes.count >= configuration.maxShapes, evictLeastRecentlyServed() {}
        let handle = Self.mintHandle(identity: identity)
        let directory = configuration.storage.shapeDirectory(handle)
        let stateRecord = stateTable.claimFree()
        var registered = false
        // Until the shape is registered (``removeShape(_:)`` frees it from then on), every way
        // out below gives the record back.
        defer { if !registered { releaseStateRecord(stateRecord) } }
        do {
            // No fsync here (ten of them per shape bounded creation at a few hundred shapes a
            // second): the next group commit's `syncfs` makes these files durable. Until then an
            // operating-system crash loses at most the whole new shape, whose files then fail
            // their checksums or are missing: the restart discards it and its clients get 409.
            try FileSystem.createDirectory(directory)
            var metadata = resolved.metadata(handle: handle)
            metadata.stateRecord = stateRecord
            // The shape's document (definition and router's record) is the change log's first
            // frame: written with the file's header, no file of its own.
            let document = metadata.document(
                routerRecord: RouterShapeRecord(
                    identity: identity, columns: resolved.table.whereColumns, visibility: visibility,
                    replayFrom: .init(spool: ticket.start.spool, commitEnd: ticket.start.commitEnd)))
            let changes = try ChangeLogWriter(
                directory: directory, chunkThresholdBytes: configuration.chunkBytes,
                stateStore: .table(stateTable, record: stateRecord, tag: ShapeStateTable.tag(handle: handle), fresh: true),
                document: document, durableCreation: false)
            try changes.commit(appliedThroughLSN: ticket.start.commitEnd)
            let shape = ActiveShape(metadata: metadata, changes: changes, filter: resolved.filter?.rowFilter, visibility: visibility)
            shape.whereColumns = resolved.table.whereColumns
            guard try catchUp(shape, from: ticket.start.spool) else {
                deleteDirectory(handle)
                ticket.decide(.abandoned)
                creation.rejectAll(
                    .unavailable(message: "The table changed while the shape was created, please retry", retryAfterSeconds: 1))
                return
            }
            if let relation = relations[metadata.relationID], !shape.resolve(relation: relation) {
                deleteDirectory(handle)
                ticket.decide(.abandoned)
                creation.rejectAll(
                    .unavailable(message: "The table changed while the shape was created, please retry", retryAfterSeconds: 1))
                return
            }
            register(shape, identity: identity, conditions: resolved.filter?.indexable ?? [])
            registered = true
            queueForCommit(shape)
            for definition in creation.definitions { remember(definition, for: handle) }
            ticket.decide(.accepted(handle: handle, directory: directory))
            creation.replyAll(handle: handle)
            logger.info(
                "Shape created",
                metadata: [LogKey.shapeHandle: "\(handle)", LogKey.table: "\(resolved.table.schema).\(resolved.table.name)"])
        } catch let tooCostly as FilterTooCostly {
            // A row of the catch-up window: the shape was never registered.
            logger.error(
                "Where clause too costly to evaluate for a row; shape not created",
                metadata: [LogKey.shapeHandle: "\(handle)", LogKey.reason: "\(tooCostly.reason)"])
            deleteDirectory(handle)
            ticket.decide(.abandoned)
            refusedDefinitions.refuse(identity, tooCostly.rejection)
            creation.rejectAll(tooCostly.rejection)
        } catch {
            logger.error("Cannot create shape files", metadata: [LogKey.shapeHandle: "\(handle)", LogKey.error: "\(error)"])
            deleteDirectory(handle)
            ticket.decide(.abandoned)
            creation.rejectAll(.unavailable(message: "Failed to create shape, please retry", retryAfterSeconds: 2))
        }
    }

    /// Remembers that requests for `definition` are answered with `handle`. Bounded: the cache is
    /// dropped (and refilled through the catalog) if clients send endless variants.
    func remember(_ definition: ShapeDefinition, for handle: String) {
        if handlesByDefinition.count >= 4 * configuration.maxShapes + 1024 {
            handlesByDefinition.removeAll()
            for shape in shapes.values { handlesByDefinition[shape.metadata.definition] = shape.handle }
        }
        handlesByDefinition[definition] = handle
    }

    /// Wakes serve processes waiting for a shape's snapshot chunks.
    private func notifySnapshot(_ handle: String) {
        guard shapes[handle] != nil else { return }
        services.notify(.shapeAdvanced(handle: handle))
    }

    /// Asks a catalog worker whether every shape's table still exists under its name.
    func requestTableCheck() {
        let asked = Array(shapesByRelation.keys)
        guard !asked.isEmpty else { return }
        let inbox = self.inbox
        services.catalog.submit { resolver in
            inbox.post(.tableNames(asked: asked, found: try? resolver.currentNames(of: asked)))
        }
    }

    /// Removes the shapes of tables that were dropped or renamed (protocol.md §8.5): neither is
    /// visible in the replication stream when no row changes, and a table dropped and created
    /// again under the same name is a new relation that must not be served under the old handle.
    func reconcileTables(asked: [UInt32], found: [UInt32: TableName]?) {
        guard let found else {
            logger.debug("Table check skipped: database unreachable")
            return
        }
        for relationID in asked {
            for shape in shapesByRelation[relationID]?.all ?? [] {
                let definition = shape.metadata.definition
                if let current = found[relationID], current.schema == definition.schema, current.name == definition.table { continue }
                logger.info("Table dropped or renamed; removing shape", metadata: [LogKey.shapeHandle: "\(shape.handle)"])
                removeShape(shape.handle)
            }
        }
    }
}

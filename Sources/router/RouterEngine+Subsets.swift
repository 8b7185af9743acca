import ConduitCore

/// Subset snapshots (protocol.md §3.4) and shape deletion (§8.8) on the routing loop, which only
/// looks shapes up and hands the database work to a catalog worker.
extension RouterEngine {
    /// Hands a subset snapshot of `handle` to a catalog worker, which answers serve itself.
    func subsetRequest(_ origin: ShapeRequestOrigin, handle: String, _ subset: SubsetRequest) {
        guard let shape = shapes[handle] else {
            origin.reply(subset: .shapeGone)
            return
        }
        shape.lastServed = MonotonicClock.seconds()
        let target = SubsetTarget(metadata: shape.metadata, whereColumns: shape.whereColumns)
        let bounds = configuration.subset
        let queued = services.catalog.submit { resolver in
            origin.reply(subset: resolver.subsetSnapshot(target, subset, limits: bounds))
        }
        if !queued { origin.reply(subset: .rejected(Self.busy)) }
    }

    /// Removes the shape a deletion request names: by handle alone at once; by definition once a
    /// catalog worker has resolved it to an identity (never creating a shape).
    func deleteRequest(_ origin: ShapeRequestOrigin, definition: ShapeDefinition?, handle: String?) {
        guard let definition else {
            guard let handle, shapes[handle] != nil else {
                origin.reply(deletion: .notFound)
                return
            }
            delete(handle, for: origin)
            return
        }
        if let known = handlesByDefinition[definition], shapes[known] != nil {
            finishDeletion(origin, found: known, requested: handle)
            return
        }
        let inbox = self.inbox
        let queued = services.catalog.submit { resolver in
            inbox.post(.deleteResolved(origin, handle: handle, resolver.resolve(definition)))
        }
        if !queued { origin.reply(deletion: .rejected(Self.busy)) }
    }

    func deleteResolved(_ origin: ShapeRequestOrigin, handle: String?, _ result: Result<ResolvedShape, ShapeRejection>) {
        switch result {
        case .failure(let rejection):
            origin.reply(deletion: .rejected(rejection))
        case .success(let resolved):
            guard let found = handlesByIdentity[resolved.identity], shapes[found] != nil else {
                origin.reply(deletion: .notFound)
                return
            }
            finishDeletion(origin, found: found, requested: handle)
        }
    }

    private func finishDeletion(_ origin: ShapeRequestOrigin, found: String, requested: String?) {
        if let requested, requested != found {
            origin.reply(deletion: .handleMismatch)
            return
        }
        delete(found, for: origin)
    }

    /// ``removeShape(_:)`` renames the folder away before deleting it, so serve processes reading
    /// it fail cleanly and answer 409; its live clients are woken by `shapeRemoved`.
    private func delete(_ handle: String, for origin: ShapeRequestOrigin) {
        logger.info("Shape deleted on request", metadata: [LogKey.shapeHandle: "\(handle)"])
        removeShape(handle)
        origin.reply(deletion: .deleted(handle: handle))
    }
}

import ConduitCore
import Hummingbird

/// Subset snapshots (protocol.md §3.4, §4.8): router runs the query on one of its catalog
/// workers; serve wraps the rows it gets back.
extension ShapeSession {
    /// 200 `{"metadata":{…},"data":[…]}` with `electric-snapshot: true`, or the error router
    /// answered; never 304, no ETag, cursor or up-to-date.
    func subsetResponse(_ subset: SubsetRequest) async throws -> Response {
        let outcome: SubsetOutcome
        do {
            outcome = try await routes.resolver.subsetSnapshot(handle: shape.handle, subset: subset)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.warning("Router did not answer a subset request", metadata: ["error": "\(error)"])
            return ErrorResponses.routerUnavailable
        }
        switch outcome {
        case .shapeGone:
            return await routes.conflictForRemovedShape(request, removedHandle: shape.handle)
        case .rejected(let rejection):
            return ErrorResponses.rejected(rejection)
        case .snapshot(let snapshot):
            var headers = HTTPFields()
            headers[.contentType] = JSONText.contentType
            headers[.cacheControl] = "no-cache"
            headers[.electricSnapshot] = "true"
            headers[.electricHandle] = shape.handle
            headers[.electricSchema] = shape.metadata.schemaHeader
            headers[.electricOffset] = try await chunkEnd().description
            return Response(status: .ok, headers: headers, body: ErrorResponses.body(Self.subsetBody(snapshot)))
        }
    }

    /// The `electric-offset` a log request with the same offset would get: the client uses it to
    /// advance a stream that started with `offset=now`.
    private func chunkEnd() async throws -> LogOffset {
        switch request.offset {
        case .now:
            let reader = self.reader
            let state = try await DiskIO.run { try reader.loadState() }
            if let state, state.snapshot.isComplete, let latest = state.changes.latest { return latest }
            return .snapshotEnd
        case .offset(let offset):
            if case .ready(let plan) = try await plan(offset) { return plan.end }
            return offset
        }
    }

    /// `{"metadata":{"xmin":…,"xmax":…,"xip_list":[…],"database_lsn":…,"snapshot_mark":N},"data":[…]}`.
    static func subsetBody(_ snapshot: SubsetSnapshot) -> String {
        let xips = snapshot.xipList.map(JSONText.string).joined(separator: ",")
        return "{\"metadata\":{\"xmin\":" + JSONText.string(snapshot.xmin) + ",\"xmax\":" + JSONText.string(snapshot.xmax)
            + ",\"xip_list\":[" + xips + "],\"database_lsn\":" + JSONText.string(snapshot.databaseLSN)
            + ",\"snapshot_mark\":\(snapshot.snapshotMark)},\"data\":[" + snapshot.rows.joined(separator: ",") + "]}"
    }
}

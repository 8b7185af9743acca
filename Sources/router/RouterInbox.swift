import ConduitCore
import Dispatch
import Synchronization

/// A shape request from one serve process, and where its answer goes.
struct ShapeRequestOrigin: Sendable {
    var peer: IPCPeer<RouterToServe>
    var requestID: UInt64

    func reply(handle: String) { peer.send(.shapeReply(requestID: requestID, handle: handle)) }
    func reject(_ rejection: ShapeRejection) { peer.send(.shapeRejected(requestID: requestID, rejection: rejection)) }
    func reply(subset outcome: SubsetOutcome) { peer.send(.subsetReply(requestID: requestID, outcome: outcome)) }
    func reply(deletion outcome: DeleteOutcome) { peer.send(.deleteReply(requestID: requestID, outcome: outcome)) }
}

/// Work handed to router's main loop from the IPC threads and the worker threads.
enum RouterCommand: Sendable {
    case shapeRequest(ShapeRequestOrigin, ShapeDefinition)
    /// serve reports shapes it served (for least-recently-used eviction).
    case shapesServed([String])
    /// A subset snapshot of shape `handle`.
    case subsetRequest(ShapeRequestOrigin, handle: String, SubsetRequest)
    /// Remove the shape of `definition` and/or `handle`.
    case deleteRequest(ShapeRequestOrigin, definition: ShapeDefinition?, handle: String?)
    /// A worker resolved the definition of a deletion request.
    case deleteResolved(ShapeRequestOrigin, handle: String?, Result<ResolvedShape, ShapeRejection>)
    /// A worker checked a definition against the catalog.
    case resolved(ShapeRequestOrigin, ShapeDefinition, Result<ResolvedShape, ShapeRejection>)
    /// A worker opened a shape's snapshot; the loop must accept (register) or reject it.
    case snapshotOpened(SnapshotTicket)
    /// A worker could not prepare the table or open the snapshot.
    case snapshotOpenFailed(identity: String, rejection: ShapeRejection)
    /// A snapshot copy failed. `rejection` is set when PostgreSQL refused the definition itself
    /// (e.g. the where clause fails on the table's rows): requests for it are refused for a while
    /// instead of creating the shape again and again.
    case snapshotFailed(handle: String, reason: String, rejection: ShapeRejection?)
    case snapshotFinished(handle: String)
    /// More snapshot chunks were published (serve may answer waiting initial requests).
    case snapshotProgressed(handle: String)
    /// A worker looked up the current names of the tables `asked` (found nil: database
    /// unreachable).
    case tableNames(asked: [UInt32], found: [UInt32: TableName]?)
}

extension RouterCommand {
    /// The command for a message from a serve process.
    init(_ message: ServeToRouter, from peer: IPCPeer<RouterToServe>) {
        switch message {
        case .getOrCreateShape(let requestID, let definition):
            self = .shapeRequest(ShapeRequestOrigin(peer: peer, requestID: requestID), definition)
        case .shapesServed(let handles):
            self = .shapesServed(handles)
        case .subsetSnapshot(let requestID, let handle, let subset):
            self = .subsetRequest(ShapeRequestOrigin(peer: peer, requestID: requestID), handle: handle, subset)
        case .deleteShape(let requestID, let definition, let handle):
            self = .deleteRequest(ShapeRequestOrigin(peer: peer, requestID: requestID), definition: definition, handle: handle)
        }
    }
}

/// A thread-safe mailbox the main loop drains between spool batches, plus the latest durable
/// spool position announced by ingest. Producers wake the loop through a semaphore.
final class RouterInbox: Sendable {
    private let commands = Mutex<[RouterCommand]>([])
    private let durable = Mutex<SpoolDurablePosition?>(nil)
    private let wakeup = DispatchSemaphore(value: 0)

    func post(_ command: RouterCommand) {
        commands.withLock { $0.append(command) }
        wakeup.signal()
    }

    func durableAdvanced(_ position: SpoolDurablePosition) {
        durable.withLock { current in
            if current == nil || current!.position <= position.position { current = position }
        }
        wakeup.signal()
    }

    var durablePosition: SpoolDurablePosition? { durable.withLock { $0 } }

    func takeCommands() -> [RouterCommand] {
        commands.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
    }

    /// Wakes the loop without a command (a background flush ended).
    func wake() {
        wakeup.signal()
    }

    /// Blocks until something is posted or `milliseconds` pass.
    func wait(milliseconds: Int) {
        _ = wakeup.wait(timeout: .now() + .milliseconds(milliseconds))
    }
}

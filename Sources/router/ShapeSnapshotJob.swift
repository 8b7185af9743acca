import ConduitCore
import Logging
import Postgres

/// A snapshot worker's job for one new shape: prepare the table, open the snapshot, hand it to
/// the routing loop, and copy the rows once the loop has registered the shape. Every step that
/// waits on PostgreSQL happens here, bounded by router's database timeouts.
struct ShapeSnapshotJob: Sendable {
    let resolved: ResolvedShape
    let configuration: RouterConfiguration
    let inbox: RouterInbox
    let progress: RouterProgress
    let logger: Logger
    /// Receives the snapshot's duration (open to last row) for the metrics.
    var gauges: RouterGauges?

    /// How often a snapshot is retaken before the request fails (each retake means a transaction
    /// committed to the WAL but was still running in the snapshot: rare and brief).
    static let maxAttempts = 50

    /// Runs on `worker`'s thread, with its connection.
    func run(on worker: SnapshotWorker) {
        let session: SnapshotSession
        do {
            session = try worker.session(for: resolved)
        } catch {
            worker.discardConnection()
            logger.warning("Cannot connect for a snapshot", metadata: [LogKey.error: "\(error)"])
            inbox.post(
                .snapshotOpenFailed(
                    identity: resolved.identity,
                    rejection: .unavailable(
                        message: "Cannot connect to the database to create the shape. Please try again later.", retryAfterSeconds: 2)))
            return
        }
        if run(session) {
            worker.finished(session)
        } else {
            worker.discardConnection()
        }
    }

    /// The job on an open session; false when it failed in a way that may leave the
    /// connection in an unknown state (it is then closed, not reused).
    private func run(_ session: SnapshotSession) -> Bool {
        let started = ContinuousClock.now
        let identity = resolved.identity
        do throws(ShapeRejection) {
            try session.prepare(publication: configuration.publicationName)
        } catch {
            inbox.post(.snapshotOpenFailed(identity: identity, rejection: error))
            return false
        }
        for _ in 0..<Self.maxAttempts {
            let start = progress.position
            let visibility: SnapshotVisibility
            do {
                visibility = try session.begin()
            } catch let rejection as ShapeRejection {
                inbox.post(.snapshotOpenFailed(identity: identity, rejection: rejection))
                return false
            } catch {
                inbox.post(
                    .snapshotOpenFailed(
                        identity: identity,
                        rejection: .unavailable(
                            message: "Failed to open the shape's snapshot, please retry", retryAfterSeconds: 2)))
                return false
            }
            let ticket = SnapshotTicket(resolved: resolved, visibility: visibility, start: start)
            inbox.post(.snapshotOpened(ticket))
            switch ticket.awaitVerdict() {
            case .accepted(let handle, let directory):
                let copied = copy(session: session, visibility: visibility, handle: handle, directory: directory)
                gauges?.snapshotTook(started.duration(to: .now))
                return copied
            case .retake:
                guard (try? session.rollback()) != nil else { return false }
                usleep(10_000)
            case .abandoned:
                return true
            }
        }
        inbox.post(
            .snapshotOpenFailed(
                identity: identity,
                rejection: .unavailable(
                    message: "Could not take a consistent snapshot, please retry", retryAfterSeconds: 1)))
        return true
    }

    /// Copies the rows; false when it failed (the connection is then not reused).
    private func copy(session: SnapshotSession, visibility: SnapshotVisibility, handle: String, directory: String) -> Bool {
        do {
            let writer = try SnapshotWriter(directory: directory, chunkThresholdBytes: configuration.chunkBytes)
            try session.copyRows(into: writer, visibility: visibility) {
                inbox.post(.snapshotProgressed(handle: handle))
            }
            inbox.post(.snapshotFinished(handle: handle))
            return true
        } catch let error as PostgresError where error.sqlState?.hasPrefix("22") == true {
            // A data exception (overflow, division by zero, bad input in a cast…) evaluating the
            // where clause on the table's rows: the definition, not the moment, is at fault.
            inbox.post(.snapshotFailed(handle: handle, reason: "\(error)", rejection: .invalid(field: "where", message: error.message)))
        } catch {
            inbox.post(.snapshotFailed(handle: handle, reason: "\(error)", rejection: nil))
        }
        return false
    }
}

#if canImport(Glibc)
    import Glibc
#endif

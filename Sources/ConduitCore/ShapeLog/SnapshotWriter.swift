import Dispatch
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// Writes a shape's initial snapshot: `snapshot.log`, with its published state in the log's own
/// slots (``SnapshotStateSlots``), or in `snapshot.state` beyond what a slot holds (see
/// ``ShapeLogFormat``).
///
/// Owned by router's snapshot task, one per shape, independent of the shape's
/// ``ChangeLogWriter`` (they touch different files). Rows are insert messages already rendered
/// as JSON. Chunking follows protocol.md §7.4: a running count adds `json.count + 1` per row, and
/// once it reaches the threshold a chunk ends after that row. ``finish(snapshotEnd:)`` appends the
/// `snapshot-end` control message, which closes the last chunk (alone in it if the last row had
/// just closed one).
///
/// Readers see only what ``publishProgress(onPublished:)`` or ``finish(snapshotEnd:)`` published,
/// so serve can answer `offset=-1` with chunk 0 while a large snapshot is still being written.
/// An intermediate publication (fsync of the log, then the state file replaced) runs on a
/// queue of the writer's own, in order, while the caller goes on copying rows: on the copying
/// thread the fsyncs took about a sixth of a 1M-row snapshot's time (issue 11, initial sync).
///
/// - Important: a snapshot is not resumable. `init` starts a fresh snapshot, discarding any
///   earlier `snapshot.log` and `snapshot.state` in the folder (a snapshot interrupted by a crash
///   must be taken again, under a new handle, since its Postgres snapshot is gone).
public final class SnapshotWriter {
    private let files: ShapeLogFiles
    private let file: PosixFile
    private let chunkThresholdBytes: Int
    /// Frames not yet written to the file.
    private var buffer: [UInt8] = []
    /// Bytes of `snapshot.log` already written (the header included).
    private var writtenLength: UInt64
    /// End offsets of the chunks closed so far (published or not).
    private var chunkEnds: [UInt64] = []
    private var runningChunkBytes = 0
    private var publishedChunkCount = 0
    /// Publications so far (their sequence numbers in the state slots).
    private var publications: UInt64 = 0
    private var isFinished = false
    /// Runs intermediate publications in order, off the caller's thread.
    private let publisher = DispatchQueue(label: "conduit.snapshot-publisher")
    /// The first failure of an intermediate publication: every later call throws it.
    private let publishFailure = FirstFailure()

    /// Creates the snapshot files in `directory`, which must exist.
    /// - Parameter chunkThresholdBytes: protocol.md §7.4 threshold (`CONDUIT_CHUNK_BYTES`).
    public init(directory: String, chunkThresholdBytes: Int) throws(ShapeLogError) {
        guard chunkThresholdBytes > 0 else { throw .misuse("chunk threshold must be positive") }
        self.files = ShapeLogFiles(directory: directory)
        self.chunkThresholdBytes = chunkThresholdBytes
        // Unpublish any previous snapshot (durably) before truncating its log, so neither a
        // reader nor a crash can pair the old state with the new log.
        if try ShapeLogIO.remove(files.snapshotState) {
            try ShapeLogIO.syncDirectory(containing: files.snapshotState)
        }
        // Created without fsync of the folder: a log that an operating-system crash loses had
        // no durable complete state either, and a shape whose snapshot never completed is
        // discarded at restart (router's next `syncfs` makes the folder's entries durable).
        let file = try ShapeLogIO.open(files.snapshotLog, flags: O_RDWR | O_CREAT | O_TRUNC)
        // The header, then the two state slots, empty (invalid) until the first publication.
        let start =
            ShapeLogFormat.fileHeader(magic: ShapeLogFormat.snapshotLogMagic, version: SnapshotStateSlots.logVersion)
            + [UInt8](repeating: 0, count: Int(SnapshotStateSlots.framesStart) - ShapeLogFormat.fileHeaderSize)
        try ShapeLogIO.run { () throws(FileError) in try file.write(start, at: 0) }
        self.file = file
        self.writtenLength = UInt64(start.count)
    }

    /// The logical end of the log: written bytes plus buffered ones.
    private var endPosition: UInt64 { writtenLength + UInt64(buffer.count) }

    /// Appends one snapshot row (an insert message as JSON).
    public func append(row json: [UInt8]) throws(ShapeLogError) {
        try append { $0.append(contentsOf: json) }
    }

    /// Appends one snapshot row that `render` appends to the buffer it is given (the log's own
    /// buffer: the row is rendered in place, not copied).
    public func append(rendering render: (inout [UInt8]) -> Void) throws(ShapeLogError) {
        guard !isFinished else { throw .misuse("append after finish") }
        let count = ShapeLogFormat.appendFrame(to: &buffer, payload: render)
        runningChunkBytes += count + 1
        if runningChunkBytes >= chunkThresholdBytes {
            chunkEnds.append(endPosition)
            runningChunkBytes = 0
        }
        if buffer.count >= ShapeLogFormat.writeBufferBytes { try flush() }
    }

    /// Makes every chunk closed so far visible to readers: written here, then made durable and
    /// published on the writer's queue, which calls `onPublished` once readers can see them.
    /// Cheap when no chunk closed since the last call, so router may call it after every batch
    /// of rows. Throws the failure of an earlier publication.
    public func publishProgress(onPublished: @escaping @Sendable () -> Void = {}) throws(ShapeLogError) {
        try rethrowPublishFailure()
        guard !isFinished, chunkEnds.count > publishedChunkCount else { return }
        try flush()
        let state = SnapshotState(chunkEnds: chunkEnds, isComplete: false, framesStart: SnapshotStateSlots.framesStart)
        publishedChunkCount = chunkEnds.count
        publications += 1
        let sequence = publications
        let file = self.file
        let path = files.snapshotState
        let failure = publishFailure
        publisher.async {
            guard failure.error == nil else { return }
            do throws(ShapeLogError) {
                try Self.publish(state, sequence: sequence, syncing: file, to: path)
                onPublished()
            } catch {
                failure.record(error)
            }
        }
    }

    /// Returns once every publication asked for so far is done; throws the first that failed.
    public func waitForPublications() throws(ShapeLogError) {
        publisher.sync {}
        try rethrowPublishFailure()
    }

    /// A writer dropped mid-snapshot (its copy failed) lets its last publication finish first,
    /// so none lands after a later writer of the same folder started.
    deinit {
        publisher.sync {}
    }

    private func rethrowPublishFailure() throws(ShapeLogError) {
        if let failure = publishFailure.error { throw failure }
    }

    /// Appends the `snapshot-end` control message, closing the last chunk, and publishes the
    /// snapshot as complete. No appends are accepted afterwards.
    public func finish(snapshotEnd json: [UInt8]) throws(ShapeLogError) {
        guard !isFinished else { throw .misuse("finish called twice") }
        ShapeLogFormat.appendFrame(json, to: &buffer)
        chunkEnds.append(endPosition)
        runningChunkBytes = 0
        try flush()
        // The complete state replaces the file after every intermediate one.
        try waitForPublications()
        publications += 1
        try Self.publish(
            SnapshotState(chunkEnds: chunkEnds, isComplete: true, framesStart: SnapshotStateSlots.framesStart),
            sequence: publications, syncing: file, to: files.snapshotState)
        isFinished = true
    }

    private func flush() throws(ShapeLogError) {
        guard !buffer.isEmpty else { return }
        try ShapeLogIO.run { () throws(FileError) in try file.write(buffer, at: writtenLength) }
        writtenLength += UInt64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Makes the log durable, then publishes `state` (publication number `sequence`) in the
    /// log's slot for it (``SnapshotStateSlots``), or, once it has more chunks than a slot holds,
    /// in `snapshot.state` and a slot that sends readers there: readers never see a chunk whose
    /// bytes could still be lost.
    ///
    /// The state itself is not fsync'd (an empty snapshot cost four fsyncs, now one, issue 11):
    /// the file system writes it back on its own, and router's next group commit (`syncfs`) with
    /// it. An operating-system crash before that loses only the state, never makes it describe
    /// bytes that are not on disk (a torn slot fails its checksum and the other slot, the
    /// previous publication, stands); a shape without a complete state is discarded at restart
    /// and its clients get 409 and refetch, as for the shape's other files, made durable the same
    /// way (``ChangeLogWriter``'s `durableCreation: false`).
    private static func publish(_ state: SnapshotState, sequence: UInt64, syncing file: PosixFile, to path: String)
        throws(ShapeLogError)
    {
        try ShapeLogIO.run { () throws(FileError) in try file.sync() }
        // The state file first: the slot that sends readers to it comes after.
        if SnapshotStateSlots.overflows(state) { try ShapeLogIO.atomicWrite(state.encoded(), to: path, durable: false) }
        let slot = SnapshotStateSlots.encode(state, sequence: sequence)
        try ShapeLogIO.run { () throws(FileError) in try file.write(slot, at: SnapshotStateSlots.offset(sequence: sequence)) }
    }
}

/// The first error a background job reported, kept for the thread that started it.
private final class FirstFailure: Sendable {
    private let first = Mutex<ShapeLogError?>(nil)

    var error: ShapeLogError? { first.withLock { $0 } }

    func record(_ error: ShapeLogError) {
        first.withLock { if $0 == nil { $0 = error } }
    }
}

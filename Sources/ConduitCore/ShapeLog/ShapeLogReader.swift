#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// Reads a shape log for serve, from another process than the writers.
///
/// Never trusts file sizes: every read is bounded by the published `snapshot.state` and
/// `changes.state` (see ``ShapeLogFormat``), so concurrent appends and torn tails are invisible.
/// Cheap to create (just a path); every call opens the files it needs and closes them again.
/// Blocking: call it off the event loops.
public struct ShapeLogReader: Sendable {
    public let files: ShapeLogFiles
    /// The shape's record in the shared ``ShapeStateTable``; nil when its committed change-log
    /// state is in the folder's `changes.state`.
    public let stateLocation: ShapeStateLocation?

    public init(directory: String, stateLocation: ShapeStateLocation? = nil) {
        self.files = ShapeLogFiles(directory: directory)
        self.stateLocation = stateLocation
    }

    /// Reads both published states; nil when the snapshot has not published anything yet, or
    /// the shape is gone (its folder, or its record in the state table).
    public func loadState() throws(ShapeLogError) -> ShapeLogState? {
        guard let snapshot = try loadSnapshotState() else { return nil }
        if let stateLocation {
            guard let changes = try ShapeStateTable.readState(at: stateLocation) else { return nil }
            return ShapeLogState(snapshot: snapshot, changes: changes)
        }
        var changes = ChangeLogCommittedState.empty
        if let changeBytes = try ShapeLogIO.readWholeFile(files.changeState) {
            changes = try ChangeLogStateFile.decode(changeBytes, path: files.changeState).state
        }
        return ShapeLogState(snapshot: snapshot, changes: changes)
    }

    /// The snapshot's published state alone (nil before it published anything), for tools that
    /// must not depend on the change log (`router replay` rebuilds it).
    public func loadSnapshotState() throws(ShapeLogError) -> SnapshotState? {
        // A version-2 log holds its state in its own slots: one open and one read, no
        // `snapshot.state` to look for unless a slot says the state is there.
        guard let log = try ShapeLogIO.openIfExists(files.snapshotLog) else { return nil }
        let start = try ShapeLogIO.run { () throws(FileError) in
            try log.readExactly(count: Int(SnapshotStateSlots.framesStart), at: 0)
        }
        if let start, start[4] == SnapshotStateSlots.logVersion {
            try ShapeLogFormat.checkFileHeader(
                start, magic: ShapeLogFormat.snapshotLogMagic, path: files.snapshotLog,
                versions: ShapeLogFormat.logVersions(ShapeLogFormat.snapshotLogMagic))
            switch SnapshotStateSlots.decode(region: Array(start[SnapshotStateSlots.regionStart...])) {
            case nil: return nil
            case .state(let state): return state
            case .inStateFile: break
            }
        }
        // A version-1 log (or one still too short for its slots), or a state past a slot's size.
        guard let bytes = try ShapeLogIO.readWholeFile(files.snapshotState) else { return nil }
        return try SnapshotState(decoding: bytes, path: files.snapshotState)
    }

    /// Loads the state and plans a read after `request`.
    public func plan(after request: LogOffset) throws(ShapeLogError) -> ShapeLogPlanResult {
        guard let state = try loadState() else { return .notReady }
        return try plan(after: request, state: state)
    }

    /// Protocol.md §7.5: the end of the response (never crossing a chunk boundary), whether it is
    /// up to date, and which bytes hold the entries in `(request, end]`.
    public func plan(after request: LogOffset, state: ShapeLogState) throws(ShapeLogError) -> ShapeLogPlanResult {
        let snapshot = state.snapshot
        let chunkCount = snapshot.chunkEnds.count
        guard let latest = state.latest else { return .notReady }
        func snapshotPlan(_ chunk: Int) -> ShapeLogPlanResult {
            let end = LogOffset(tx: 0, op: UInt64(chunk))
            let start = chunk == 0 ? snapshot.framesStart : snapshot.chunkEnds[chunk - 1]
            return .ready(
                ShapeLogPlan(
                    request: request,
                    end: end,
                    latest: latest,
                    isUpToDate: !request.isBeforeAll && snapshot.isComplete && end >= max(latest, request),
                    source: .snapshotChunk(index: chunk, start: start, end: snapshot.chunkEnds[chunk]),
                    lastChangeLSN: state.lastChangeLSN
                )
            )
        }
        if request.isBeforeAll { return snapshotPlan(0) }
        if request.isSnapshot && !request.isInfinite {
            let next = request.op + 1
            if next < UInt64(chunkCount) { return snapshotPlan(Int(next)) }
            if !snapshot.isComplete { return .notReady }
        } else if !snapshot.isComplete {
            return .notReady
        }
        return try changesPlan(after: request, state: state, latest: latest)
    }

    private func changesPlan(after request: LogOffset, state: ShapeLogState, latest: LogOffset) throws(ShapeLogError)
        -> ShapeLogPlanResult
    {
        if request > latest && request != .snapshotEnd { return .outOfBounds(latest: latest) }
        let changes = state.changes
        var plan = ShapeLogPlan(
            request: request,
            end: max(request, latest),
            latest: latest,
            isUpToDate: true,
            source: .none,
            lastChangeLSN: state.lastChangeLSN
        )
        // A request at the last entry (a live client's) reads nothing from disk.
        guard changes.entryCount > 0, let last = changes.latest, request < last else { return .ready(plan) }
        guard let log = try ShapeLogIO.openIfExists(files.changeLog) else {
            throw .corrupt(path: files.changeLog, detail: "missing while entries are committed")
        }
        let header = try ShapeLogIO.committedBytes(log, at: 0, count: ShapeLogFormat.fileHeaderSize + ShapeLogFormat.frameHeaderSize)
        try ShapeLogFormat.checkFileHeader(
            header, magic: ShapeLogFormat.changeLogMagic, path: files.changeLog,
            versions: ShapeLogFormat.logVersions(ShapeLogFormat.changeLogMagic))
        let layout = ChangeLogLayout(header: header)
        let range =
            layout.isIndexed
            ? try indexedRange(after: request, changes: changes)
            : try offsetFramedRange(after: request, log: log, header: header, layout: layout, changes: changes, last: last)
        guard let range else { return .ready(plan) }
        plan.end = range.lastOffset
        plan.isUpToDate = plan.end >= latest
        plan.source = .changes(entries: range.entries, start: range.start, end: range.end)
        return .ready(plan)
    }

    /// The change entries a response after some request carries: `entries` frames in bytes
    /// `[start, end)` of `changes.log`, the last at `lastOffset`.
    struct ChangeRange {
        var start: UInt64
        var end: UInt64
        var entries: UInt64
        var lastOffset: LogOffset
    }

    /// The entries after `request` in a log of an earlier release, found in `changes.idx`: up to
    /// the end of the first closed chunk holding one, or to the end of the log.
    private func indexedRange(after request: LogOffset, changes: ChangeLogCommittedState) throws(ShapeLogError) -> ChangeRange? {
        guard let index = try openTable(files.changeIndex, .changeIndex()) else {
            throw .corrupt(path: files.changeIndex, detail: "missing while entries are committed")
        }
        let first = try firstEntry(after: request, in: index, count: changes.entryCount)
        guard first < changes.entryCount else { return nil }
        var last = changes.entryCount - 1
        if let closing = try firstClosedChunk(endingAtOrAfter: first, count: changes.closedChunkCount) {
            last = closing
        }
        let start = try indexEntry(first, in: index).position
        let end = last + 1 < changes.entryCount ? try indexEntry(last + 1, in: index).position : changes.byteLength
        return ChangeRange(start: start, end: end, entries: last - first + 1, lastOffset: try indexEntry(last, in: index).offset)
    }

    /// Reads the entries of `plan`, in log order, each the raw JSON of one message.
    public func readEntries(_ plan: ShapeLogPlan) throws(ShapeLogError) -> [ArraySlice<UInt8>] {
        switch plan.source {
        case .none:
            return []
        case .snapshotChunk(_, let start, let end):
            return try readFrames(files.snapshotLog, start: start, end: end, expected: nil)
        case .changes(let entries, let start, let end):
            return try readFrames(files.changeLog, start: start, end: end, expected: Int(entries))
        }
    }

    /// The entries of `plan` joined with `,` (no brackets): the inside of a response's JSON array.
    public func readJoined(_ plan: ShapeLogPlan) throws(ShapeLogError) -> [UInt8] {
        var cursor = ShapeLogEntryCursor(plan: plan, reader: self)
        var body: [UInt8] = []
        while let window = try cursor.nextJoined(maxBytes: Int.max) {
            if !body.isEmpty && window.entries > 0 { body.append(UInt8(ascii: ",")) }
            body += window.json
        }
        return body
    }

    private func readFrames(_ path: String, start: UInt64, end: UInt64, expected: Int?) throws(ShapeLogError)
        -> [ArraySlice<UInt8>]
    {
        guard end > start else { return [] }
        guard let file = try ShapeLogIO.openIfExists(path) else {
            throw .corrupt(path: path, detail: "missing while entries are published")
        }
        let header = try ShapeLogIO.committedBytes(file, at: 0, count: ShapeLogFormat.fileHeaderSize)
        let magic = path == files.snapshotLog ? ShapeLogFormat.snapshotLogMagic : ShapeLogFormat.changeLogMagic
        try ShapeLogFormat.checkFileHeader(header, magic: magic, path: path, versions: ShapeLogFormat.logVersions(magic))
        let layout = magic == ShapeLogFormat.changeLogMagic ? ChangeLogLayout(header: header).entryFrames : .plain
        let frames = try ShapeLogFormat.parseFrames(
            ShapeLogIO.committedBytes(file, at: start, count: Int(end - start)), layout: layout, path: path)
        if let expected, frames.count != expected {
            throw .corrupt(path: path, detail: "expected \(expected) frames, found \(frames.count)")
        }
        return frames
    }

    // MARK: Index lookups

    private struct IndexEntry {
        var offset: LogOffset
        var position: UInt64
    }

    /// `changes.idx` or `changes.chunks`, open, with the entry layout its header names.
    struct EntryTableFile {
        var file: PosixFile
        var table: ShapeLogEntryTable
    }

    func openTable(_ path: String, _ table: ShapeLogEntryTable) throws(ShapeLogError) -> EntryTableFile? {
        guard let file = try ShapeLogIO.openIfExists(path) else { return nil }
        let header = try ShapeLogIO.committedBytes(file, at: 0, count: ShapeLogFormat.fileHeaderSize)
        return EntryTableFile(file: file, table: try table.reading(header: header, path: path))
    }

    private func indexEntry(_ ordinal: UInt64, in index: EntryTableFile) throws(ShapeLogError) -> IndexEntry {
        let bytes = try ShapeLogIO.committedBytes(index.file, at: index.table.position(of: ordinal), count: index.table.entrySize)
        let (tx, op, position, _) = try index.table.decode(bytes, ordinal: ordinal, path: files.changeIndex)
        return IndexEntry(offset: LogOffset(tx: Int64(bitPattern: tx), op: op), position: position)
    }

    /// Binary search: the ordinal of the first entry whose offset is greater than `request`
    /// (`count` when there is none).
    private func firstEntry(after request: LogOffset, in index: EntryTableFile, count: UInt64) throws(ShapeLogError)
        -> UInt64
    {
        var low: UInt64 = 0
        var high = count
        while low < high {
            let middle = low + (high - low) / 2
            if try indexEntry(middle, in: index).offset > request { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Binary search in `changes.chunks`: the last-entry ordinal of the first closed chunk whose
    /// last entry is at or after `ordinal`, or nil when `ordinal` is in the open chunk.
    private func firstClosedChunk(endingAtOrAfter ordinal: UInt64, count: UInt64) throws(ShapeLogError) -> UInt64? {
        guard count > 0 else { return nil }
        guard let chunks = try openTable(files.changeChunks, .changeChunks()) else {
            throw .corrupt(path: files.changeChunks, detail: "missing while chunks are committed")
        }
        func chunkEnd(_ chunk: UInt64) throws(ShapeLogError) -> UInt64 {
            let bytes = try ShapeLogIO.committedBytes(chunks.file, at: chunks.table.position(of: chunk), count: chunks.table.entrySize)
            return try chunks.table.decode(bytes, ordinal: chunk, path: files.changeChunks).0
        }
        var low: UInt64 = 0
        var high = count
        while low < high {
            let middle = low + (high - low) / 2
            if try chunkEnd(middle) >= ordinal { high = middle } else { low = middle + 1 }
        }
        return low < count ? try chunkEnd(low) : nil
    }
}

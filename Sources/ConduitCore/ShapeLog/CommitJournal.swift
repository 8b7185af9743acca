#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// router's commit journal (`shapes/.journal`): a large group commit's new shape-log bytes in one
/// sequential file, so the commit is durable after one `fdatasync` of that file instead of a
/// flush of every touched shape's files.
///
/// A group commit over 10,000 shapes made its bytes durable with `syncfs`, which writes back a
/// page of each of 10,000 files (0.1–0.2 s on this machine's disk); the drain of bench/e2e's
/// routing row ended that long after the spool was complete. Appending the same bytes here and
/// flushing this file alone takes a few milliseconds for a few MB. The shape files are flushed
/// later, when router is idle (a checkpoint: `syncfs`, then ``reset()``), as a database writes
/// its pages back after its log.
///
/// What makes it safe:
/// - A record holds only bytes a commit publishes: each touched file's range from its committed
///   end to the new one, with the file's path (relative to `shapes/`) and offset. Committed
///   bytes of a change log never change afterwards, so replaying a record rewrites what is there
///   or what an operating-system crash lost; a shape removed since has no file, and its writes are
///   skipped (handles are never reused).
/// - The state slots that publish a record's bytes are written only after the record is
///   durable (the group commit's step 3), and are flushed by themselves, as before.
/// - router empties the journal when it starts (``recover(path:shapes:)``): records left by a
///   process of the same boot only need the shape files flushed (the bytes are in the page
///   cache); after a reboot they are written again first. So a journal never outlives the router
///   process that wrote it, and no other writer (`router replay`, a later router) can have
///   changed the files its records name.
/// - After an operating-system crash, serve must not read shape files before that replay: a
///   state slot may have reached the disk before the bytes it names. The header records the boot
///   it was written in (`/proc/sys/kernel/random/boot_id`); ``replayPending(path:)`` is true
///   while a journal of an earlier boot still holds records, and serve answers 503 meanwhile.
///
/// Layout (little-endian): a 64-byte header — magic `CNDJ`, version (u32), the boot id (36 bytes
/// of text), a random salt (u64), a hash of the host's name (u64), CRC32C of the 60 bytes before
/// it — then records,
/// each the payload's length (u32), the CRC32C of the salt and the payload (u32), and the payload:
/// writes, each the path's length (u16), the path, the offset (u64), the length (u32) and the
/// bytes. Reading stops at the first record whose length or checksum is wrong (a torn append,
/// never acknowledged).
public final class CommitJournal {
    public static let headerSize = 64
    static let magic: [UInt8] = Array("CNDJ".utf8)
    static let version: UInt32 = 1
    static let recordHeaderSize = 8
    /// A record's bytes are written to the file in pieces of about this size while it is built.
    static let writeSize = 1 << 20

    public let path: String
    /// The shape folders' parent (`shapes/`): record paths are relative to it.
    public let shapesDirectory: String
    private let file: PosixFile
    /// Where the next record goes: the end of the last whole one.
    public private(set) var end: UInt64
    /// How far the file may hold bytes (a record begun and not appended): cut back to ``end``
    /// before the next record, so no stale record can follow a shorter new one.
    private var written: UInt64
    /// This journal's salt (in the header, new at each ``reset()``), covered by every record's
    /// checksum: bytes of an earlier record, or a row's text that happens to look like one, never
    /// pass for a record.
    private var salt: UInt64 = 0

    /// When the first record since the journal was last emptied was appended (``MonotonicClock``
    /// seconds); nil while it is empty.
    public private(set) var firstRecordAt: Double?

    /// True when records were appended since the journal was last emptied.
    public var hasRecords: Bool { end > UInt64(Self.headerSize) }

    /// Opens the journal for appending, emptied: call after ``recover(path:shapes:)``.
    public init(path: String, shapes: String) throws(ShapeLogError) {
        self.path = path
        self.shapesDirectory = shapes
        self.file = try ShapeLogIO.open(path, flags: O_RDWR | O_CREAT)
        self.end = UInt64(Self.headerSize)
        self.written = end
        try reset()
    }

    /// Starts a record after the last whole one.
    public func beginRecord() throws(ShapeLogError) -> Record {
        if written > end {
            try ShapeLogIO.run { () throws(FileError) in try file.truncate(to: end) }
            written = end
        }
        return Record(journal: self, start: end)
    }

    /// Makes `record` the journal's next one: writes what it still holds and its header, and
    /// flushes the journal (`fdatasync`); its bytes are durable on return. A failure leaves ``end``
    /// where it was (the record's bytes are cut off before the next one).
    public func append(_ record: inout Record) throws(ShapeLogError) {
        guard !record.isEmpty else { return }
        try record.writeBuffered()
        var header: [UInt8] = []
        header.appendInteger(UInt32(record.length), .littleEndian)
        header.appendInteger(record.checksum, .littleEndian)
        try ShapeLogIO.run { () throws(FileError) in
            try file.write(header, at: record.start)
            try file.syncData()
        }
        end = record.start + UInt64(Self.recordHeaderSize) + record.length
        if firstRecordAt == nil { firstRecordAt = MonotonicClock.seconds() }
    }

    fileprivate func write(_ bytes: [UInt8], at offset: UInt64) throws(ShapeLogError) {
        try ShapeLogIO.run { () throws(FileError) in try file.write(bytes, at: offset) }
        written = max(written, offset + UInt64(bytes.count))
    }

    /// Empties the journal (after every shape file its records name was flushed) and records the
    /// current boot and a new salt in its header, durably.
    public func reset() throws(ShapeLogError) {
        salt = try Self.empty(file)
        end = UInt64(Self.headerSize)
        written = end
        firstRecordAt = nil
    }

    /// Cuts the journal `file` to a new header of this boot and host with a new salt, durably;
    /// returns the salt.
    private static func empty(_ file: PosixFile) throws(ShapeLogError) -> UInt64 {
        let salt = UInt64.random(in: 1...UInt64.max)
        try ShapeLogIO.run { () throws(FileError) in
            try file.truncate(to: UInt64(headerSize))
            try file.write(header(boot: BootIdentity.current, host: BootIdentity.host, salt: salt), at: 0)
            try file.sync()
        }
        return salt
    }

    static func header(boot: [UInt8], host: UInt64, salt: UInt64) -> [UInt8] {
        var header = magic
        header.appendInteger(version, .littleEndian)
        header += boot.prefix(36) + [UInt8](repeating: 0, count: 36 - min(36, boot.count))
        header.appendInteger(salt, .littleEndian)
        header.appendInteger(host, .littleEndian)
        header.appendInteger(CRC32C.checksum(header), .littleEndian)
        return header
    }

    /// The boot id, salt and host in `header`, nil when it is not a whole, valid journal header.
    static func parseHeader(_ header: [UInt8]) -> (boot: [UInt8], salt: UInt64, host: UInt64)? {
        guard header.count >= headerSize, Array(header[0..<4]) == magic,
            header.loadInteger(UInt32.self, at: 4, .littleEndian) == version,
            header.loadInteger(UInt32.self, at: 60, .littleEndian) == CRC32C.checksum(header[0..<60])
        else { return nil }
        return (
            Array(header[8..<44]), header.loadInteger(UInt64.self, at: 44, .littleEndian),
            header.loadInteger(UInt64.self, at: 52, .littleEndian)
        )
    }

    static func seed(salt: UInt64) -> UInt32 {
        var bytes: [UInt8] = []
        bytes.appendInteger(salt, .littleEndian)
        return CRC32C.checksum(bytes)
    }

    // MARK: Records

    /// One group commit's writes, written into the journal file in pieces while its writers
    /// write their buffers (so a commit of 50 MB holds about 1 MiB of it in memory), and made
    /// part of the journal by ``CommitJournal/append(_:)``.
    public struct Record {
        let journal: CommitJournal
        let start: UInt64
        private let shapesPrefix: String
        private var buffer: [UInt8] = []
        /// Payload bytes so far (written and buffered).
        private(set) var length: UInt64 = 0
        private(set) var checksum: UInt32

        fileprivate init(journal: CommitJournal, start: UInt64) {
            self.journal = journal
            self.start = start
            let shapes = journal.shapesDirectory
            self.shapesPrefix = shapes.hasSuffix("/") ? shapes : shapes + "/"
            self.checksum = CommitJournal.seed(salt: journal.salt)
        }

        public var isEmpty: Bool { length == 0 }

        /// Adds the write of `data` at `offset` of the file at `path`; false (nothing added) when
        /// the file is not under the journal's `shapes/`, or the record would pass 4 GiB (the
        /// commit then flushes the file system instead).
        mutating func add(path: String, offset: UInt64, data: [UInt8]) throws(ShapeLogError) -> Bool {
            guard path.hasPrefix(shapesPrefix) else { return false }
            let relative = path.utf8.dropFirst(shapesPrefix.utf8.count)
            let size = UInt64(2 + relative.count + 12 + data.count)
            guard relative.count <= Int(UInt16.max), length + size <= UInt64(UInt32.max) else { return false }
            guard !data.isEmpty else { return true }
            let before = buffer.count
            buffer.appendInteger(UInt16(relative.count), .littleEndian)
            buffer.append(contentsOf: relative)
            buffer.appendInteger(offset, .littleEndian)
            buffer.appendInteger(UInt32(data.count), .littleEndian)
            buffer.append(contentsOf: data)
            length += UInt64(buffer.count - before)
            if buffer.count >= CommitJournal.writeSize { try writeBuffered() }
            return true
        }

        /// Writes the buffered bytes at their place in the file.
        fileprivate mutating func writeBuffered() throws(ShapeLogError) {
            guard !buffer.isEmpty else { return }
            checksum = buffer.withUnsafeBytes { CRC32C.update(checksum, $0) }
            let offset = start + UInt64(CommitJournal.recordHeaderSize) + length - UInt64(buffer.count)
            try journal.write(buffer, at: offset)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// One write of a record, as read back.
    public struct Write: Equatable, Sendable {
        public var path: String
        public var offset: UInt64
        public var bytes: [UInt8]
    }

    /// The writes of every whole record in the journal file `bytes` (header included), in order;
    /// nil when the header is not a valid one.
    public static func writes(inFile bytes: [UInt8]) -> [Write]? {
        var writes: [Write] = []
        let valid = forEachWrite(inFile: bytes) { path, offset, data in
            writes.append(Write(path: path, offset: offset, bytes: Array(data)))
        }
        return valid ? writes : nil
    }

    /// Calls `body` with each write of every whole record in the journal file `bytes`, in order;
    /// false when the header is not a valid one. A record whose checksum or writes are wrong ends
    /// the journal; its writes are never passed on, even in part.
    static func forEachWrite<E: Error>(
        inFile bytes: [UInt8], _ body: (String, UInt64, ArraySlice<UInt8>) throws(E) -> Void
    ) throws(E) -> Bool {
        guard let header = parseHeader(bytes) else { return false }
        let seed = seed(salt: header.salt)
        var position = headerSize
        while position + recordHeaderSize <= bytes.count {
            let length = Int(bytes.loadInteger(UInt32.self, at: position, .littleEndian))
            let start = position + recordHeaderSize
            guard length > 0, length <= bytes.count - start,
                bytes.loadInteger(UInt32.self, at: position + 4, .littleEndian)
                    == bytes[start..<start + length].withUnsafeBytes({ CRC32C.update(seed, $0) }),
                let writes = parse(bytes[start..<start + length])
            else { break }
            for write in writes { try body(write.path, write.offset, bytes[write.data]) }
            position = start + length
        }
        return true
    }

    /// A record's payload as (path, offset, range of the bytes in the file), nil when its writes
    /// do not fill it exactly or a path leaves `shapes/`.
    private static func parse(_ payload: ArraySlice<UInt8>) -> [(path: String, offset: UInt64, data: Range<Int>)]? {
        var writes: [(path: String, offset: UInt64, data: Range<Int>)] = []
        var position = payload.startIndex
        while position < payload.endIndex {
            guard payload.endIndex - position >= 2 else { return nil }
            let pathLength = Int(payload.loadInteger(UInt16.self, at: position - payload.startIndex, .littleEndian))
            let pathStart = position + 2
            guard payload.endIndex - pathStart >= pathLength + 12 else { return nil }
            let path = String(decoding: payload[pathStart..<pathStart + pathLength], as: UTF8.self)
            let offset = payload.loadInteger(UInt64.self, at: pathStart + pathLength - payload.startIndex, .littleEndian)
            let count = Int(payload.loadInteger(UInt32.self, at: pathStart + pathLength + 8 - payload.startIndex, .littleEndian))
            let dataStart = pathStart + pathLength + 12
            guard payload.endIndex - dataStart >= count, !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..")
            else { return nil }
            writes.append((path, offset, dataStart..<dataStart + count))
            position = dataStart + count
        }
        return writes
    }

    // MARK: Recovery

    /// What ``recover(path:shapes:)`` did.
    public struct Recovery: Equatable, Sendable {
        /// Writes found in the journal.
        public var writes = 0
        /// Writes done again (the journal was an earlier boot's); 0 when the page cache still held them.
        public var replayed = 0
        /// Writes skipped because their file is gone (a shape removed since).
        public var skipped = 0
    }

    /// Makes durable everything the journal at `path` holds, then empties it: router's first step
    /// at start (and `router replay`'s), before any shape is loaded.
    ///
    /// The records of an earlier boot are written into their files first (an operating-system
    /// crash may have lost the page cache that held them); those of this boot are there already.
    /// Either way the file system is then flushed (`syncfs`, or each written file where there is
    /// none) and the journal emptied. No journal: nothing to do.
    @discardableResult
    public static func recover(path: String, shapes: String) throws(ShapeLogError) -> Recovery {
        guard let bytes = try ShapeLogIO.readWholeFile(path), bytes.count > headerSize else { return Recovery() }
        var recovery = Recovery()
        let replay = parseHeader(bytes)?.boot != BootIdentity.current
        let flushEachFile = !PosixFile.syncsFileSystems
        // One file open at a time (a journal may name 10,000 shapes' files, more than a process
        // may hold open); consecutive writes to it reuse it.
        var current: (path: String, file: PosixFile?)?
        func finish(_ open: (path: String, file: PosixFile?)?) throws(ShapeLogError) {
            if flushEachFile, let file = open?.file { try ShapeLogIO.run { () throws(FileError) in try file.sync() } }
        }
        _ = try forEachWrite(inFile: bytes) { (relative, offset, data) throws(ShapeLogError) in
            recovery.writes += 1
            guard replay else { return }
            let target = shapes + "/" + relative
            if current?.path != target {
                try finish(current)
                do throws(FileError) {
                    current = (target, try PosixFile(path: target, flags: O_WRONLY))
                } catch  where error.errno == ENOENT {
                    current = (target, nil)
                } catch {
                    throw .io(error)
                }
            }
            guard let file = current?.file else {
                recovery.skipped += 1
                return
            }
            try ShapeLogIO.run { () throws(FileError) in try file.write(Array(data), at: offset) }
            recovery.replayed += 1
        }
        try finish(current)
        if !flushEachFile {
            try ShapeLogIO.run { () throws(FileError) in
                _ = try PosixFile(path: shapes, flags: O_RDONLY | O_DIRECTORY).syncFileSystem()
            }
        }
        _ = try empty(ShapeLogIO.open(path, flags: O_RDWR))
        return recovery
    }

    /// True while the journal at `path` holds records written on this host before its last boot:
    /// shape files may then lack bytes their published states name, until router replays it.
    /// False when there is no journal, or it is empty, or of this boot, or written on another
    /// host (a serve sharing the storage with a router elsewhere cannot tell that host's reboot
    /// from its own boot being different: there the file system sharing the storage decides
    /// what survives router's host crashing).
    public static func replayPending(path: String) throws(ShapeLogError) -> Bool {
        guard let file = try ShapeLogIO.openIfExists(path) else { return false }
        let header = try ShapeLogIO.run { () throws(FileError) in try file.read(count: headerSize + recordHeaderSize, at: 0) }
        guard header.count > headerSize else { return false }
        guard let parsed = parseHeader(header) else { return true }
        return parsed.boot != BootIdentity.current && parsed.host == BootIdentity.host
    }
}

/// This boot of the operating system: Linux's `/proc/sys/kernel/random/boot_id` (36 bytes of
/// text), which changes at every boot; empty where there is none (then every journal looks like
/// an earlier boot's, and is replayed: correct, only slower).
public enum BootIdentity {
    /// This host: FNV-1a of its name (`gethostname`), which the journal records beside the boot.
    public static let host: UInt64 = {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count) == 0 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.prefix(while: { $0 != 0 }) {
            hash ^= UInt64(UInt8(bitPattern: byte))
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }()

    public static let current: [UInt8] = {
        guard let file = try? PosixFile.openIfExists("/proc/sys/kernel/random/boot_id"),
            let bytes = try? file.read(count: 36, at: 0), bytes.count == 36
        else { return [] }
        return bytes
    }()
}

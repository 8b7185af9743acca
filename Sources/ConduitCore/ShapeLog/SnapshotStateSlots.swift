/// The published state of a snapshot kept in `snapshot.log` itself (log version 2): two
/// 512-byte slots after the file header, written in turn, so a small snapshot is one file
/// instead of two and each publication overwrites a slot instead of creating and renaming a
/// file (an inode allocated per publication, issue 11).
///
/// Layout of the region at bytes `8 ..< 1032` of a version-2 `snapshot.log` (little-endian):
/// slot `s` at `8 + 512·s`: `sequence: u64`, `flags: u8` (bit 0 = complete, bit 1 = the state is
/// in `snapshot.state`), 3 zero bytes,
/// `chunkCount: u32`, `chunkCount` × `end: u64`, zeros, then `crc: u32` at byte 508 of the slot,
/// the CRC-32C of its first 508 bytes. Frames start at byte 1032. A reader takes the valid slot
/// with the higher sequence; a slot never written (zeros) or torn is invalid, so the other
/// slot, the previous publication, still stands.
///
/// A slot holds at most ``capacity`` chunk ends; a snapshot with more publishes its state in
/// `snapshot.state` (``SnapshotState``, with ``SnapshotState/framesStart`` recorded) and then a
/// slot that sends readers there, so a reader opens that file only when it is the state.
enum SnapshotStateSlots {
    /// What the latest valid slot says.
    enum Published: Equatable {
        case state(SnapshotState)
        /// The snapshot has more chunks than a slot holds: its state is in `snapshot.state`.
        case inStateFile
    }

    static let logVersion: UInt8 = 2
    static let slotSize = 512
    static let regionStart = ShapeLogFormat.fileHeaderSize
    /// Where a version-2 log's first frame starts.
    static let framesStart = UInt64(regionStart + 2 * slotSize)
    static let capacity = (slotSize - 16 - 4) / 8

    /// Byte offset of the slot that publication `sequence` is written to.
    static func offset(sequence: UInt64) -> UInt64 {
        UInt64(regionStart + Int(sequence % 2) * slotSize)
    }

    /// True when `state` has more chunks than a slot holds (it goes to `snapshot.state`).
    static func overflows(_ state: SnapshotState) -> Bool { state.chunkEnds.count > capacity }

    /// The slot bytes for `state`, or, when it ``overflows(_:)``, for a slot that sends
    /// readers to `snapshot.state`.
    static func encode(_ state: SnapshotState, sequence: UInt64) -> [UInt8] {
        let ends = overflows(state) ? [] : state.chunkEnds
        var bytes: [UInt8] = []
        bytes.reserveCapacity(slotSize)
        bytes.appendInteger(sequence, .littleEndian)
        bytes += [(state.isComplete ? 1 : 0) | (overflows(state) ? 2 : 0), 0, 0, 0]
        bytes.appendInteger(UInt32(ends.count), .littleEndian)
        for end in ends { bytes.appendInteger(end, .littleEndian) }
        bytes += [UInt8](repeating: 0, count: slotSize - 4 - bytes.count)
        bytes.appendInteger(CRC32C.checksum(bytes), .littleEndian)
        return bytes
    }

    /// What the valid slot with the higher sequence of `region` (both slots) says, or nil when
    /// neither is valid (nothing published yet).
    static func decode(region: [UInt8]) -> Published? {
        var best: (sequence: UInt64, published: Published)?
        for slot in 0..<2 {
            let start = slot * slotSize
            guard region.count >= start + slotSize else { break }
            let bytes = Array(region[start..<(start + slotSize)])
            guard CRC32C.checksum(bytes[0..<(slotSize - 4)]) == bytes.loadInteger(UInt32.self, at: slotSize - 4, .littleEndian)
            else { continue }
            let count = Int(bytes.loadInteger(UInt32.self, at: 12, .littleEndian))
            guard count <= capacity else { continue }
            let sequence = bytes.loadInteger(UInt64.self, at: 0, .littleEndian)
            let ends = (0..<count).map { bytes.loadInteger(UInt64.self, at: 16 + 8 * $0, .littleEndian) }
            if let current = best, current.sequence >= sequence { continue }
            let published: Published =
                bytes[8] & 2 == 2
                ? .inStateFile : .state(SnapshotState(chunkEnds: ends, isComplete: bytes[8] & 1 == 1, framesStart: framesStart))
            best = (sequence, published)
        }
        return best?.published
    }
}

/// `changes.state`: the committed state of a change log, published in place in two slots.
///
/// A commit overwrites the slot that does **not** hold the latest state, with a `pwrite` into a
/// descriptor router keeps open: no file is created or renamed per commit. Readers decode both
/// slots and use the valid one (its CRC matches) with the higher sequence, so a slot torn by a
/// crash or caught mid-write by a concurrent reader fails its CRC and the other slot, holding
/// the previous committed state, is used. Only the writer's sequence decides which slot is
/// next: sequence `s` lives in slot `s % 2`.
///
/// Layout, version 2 (little-endian, 384 bytes):
///
/// | bytes | contents |
/// | --- | --- |
/// | 0..<8 | file header: magic `CCST`, version `2`, 3 zero bytes |
/// | 8..<128 | zero |
/// | 128..<256 | slot A (even sequences) |
/// | 256..<384 | slot B (odd sequences) |
///
/// Slot (128 bytes): `sequence: u64`, `flags: u8` (bit 0 = ``ChangeLogCommittedState/latest`` is
/// present), 7 zero bytes, then seven `u64`: `byteLength`, `entryCount`, `closedChunkCount`,
/// latest `tx`, latest `op`, `appliedThroughLSN`, `openChunkBytes`; then `crc: u32`, the CRC-32C
/// of the slot's first 72 bytes; then zero bytes to 128. An all-zero slot never passes its CRC.
///
/// Invariants the writer keeps:
/// - The file is created whole (temporary file, fsync, rename, directory fsync) with the first
///   state in slot A, so an existing file always has at least one valid slot; a file with none
///   is corruption, never "empty".
/// - A slot is written only after the data it describes is written and flushed, and the next
///   commit starts only after this slot is flushed, so the other slot is always a durable,
///   committed state to fall back on.
///
/// Version 1 (one 68-byte state, replaced by rename) is still read, as sequence 0, so a storage
/// directory written by an older router upgrades in place when its writer next opens it.
enum ChangeLogStateFile {
    static let version: UInt8 = 2
    static let fileSize = 384
    static let slotSize = 128
    /// Bytes of a slot covered by the CRC; the CRC follows them.
    static let slotBodySize = 72
    static let legacySize = 68

    /// A decoded slot: the committed state and its publication sequence.
    struct Slot: Hashable {
        var sequence: UInt64
        var state: ChangeLogCommittedState
    }

    /// Byte offset of the slot that holds `sequence`.
    static func slotOffset(sequence: UInt64) -> UInt64 {
        UInt64(slotSize) * (1 + sequence % 2)
    }

    /// The whole file for a fresh start: `state` as `sequence` in its slot, the other slot zero.
    static func initialFile(_ state: ChangeLogCommittedState, sequence: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: fileSize)
        bytes.replaceSubrange(0..<4, with: ShapeLogFormat.changeStateMagic)
        bytes[4] = version
        let offset = Int(slotOffset(sequence: sequence))
        bytes.replaceSubrange(offset..<(offset + slotSize), with: encodeSlot(state, sequence: sequence))
        return bytes
    }

    /// One slot's 128 bytes.
    ///
    /// - Parameter tag: when given, the CRC covers these 8 bytes (little-endian) before the
    ///   slot's body, without storing them: a slot of the shared ``ShapeStateTable`` then passes
    ///   its check only for the shape it was written for.
    static func encodeSlot(_ state: ChangeLogCommittedState, sequence: UInt64, tag: UInt64? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(slotSize)
        bytes.appendInteger(sequence, .littleEndian)
        bytes.append(contentsOf: [state.latest == nil ? 0 : 1, 0, 0, 0, 0, 0, 0, 0])
        appendFields(state, to: &bytes)
        bytes.appendInteger(checksum(bytes[...], tag: tag), .littleEndian)
        bytes.append(contentsOf: repeatElement(0, count: slotSize - bytes.count))
        return bytes
    }

    /// The CRC-32C of a slot's body, preceded by `tag` when there is one.
    private static func checksum(_ body: ArraySlice<UInt8>, tag: UInt64?) -> UInt32 {
        guard let tag else { return CRC32C.checksum(body) }
        var tagged: [UInt8] = []
        tagged.reserveCapacity(8 + body.count)
        tagged.appendInteger(tag, .littleEndian)
        tagged.append(contentsOf: body)
        return CRC32C.checksum(tagged)
    }

    /// Decodes a whole `changes.state` (either version): the latest valid state.
    ///
    /// - Throws: ``ShapeLogError/corrupt(path:detail:)`` for a foreign header, a wrong size, or
    ///   no slot with a valid CRC.
    static func decode(_ bytes: [UInt8], path: String) throws(ShapeLogError) -> Slot {
        guard bytes.count >= ShapeLogFormat.fileHeaderSize, Array(bytes[0..<4]) == ShapeLogFormat.changeStateMagic else {
            throw .corrupt(path: path, detail: "bad file header")
        }
        switch bytes[4] {
        case 1:
            return Slot(sequence: 0, state: try decodeLegacy(bytes, path: path))
        case version:
            guard bytes.count == fileSize else { throw .corrupt(path: path, detail: "unexpected size \(bytes.count)") }
            let slots = [slotSize, 2 * slotSize].compactMap { decodeSlot(bytes, at: $0) }
            guard let latest = slots.max(by: { $0.sequence < $1.sequence }) else {
                throw .corrupt(path: path, detail: "no state slot passes its checksum")
            }
            return latest
        default:
            throw .corrupt(path: path, detail: "unsupported version \(bytes[4])")
        }
    }

    /// The slot at `offset`, or nil when its CRC does not match (torn, zero, corrupt, or written
    /// with another `tag`).
    static func decodeSlot(_ bytes: [UInt8], at offset: Int, tag: UInt64? = nil) -> Slot? {
        let stored = bytes.loadInteger(UInt32.self, at: offset + slotBodySize, .littleEndian)
        let body = bytes[offset..<(offset + slotBodySize)]
        guard checksum(body, tag: tag) == stored else { return nil }
        return Slot(
            sequence: bytes.loadInteger(UInt64.self, at: offset, .littleEndian),
            state: decodeFields(bytes, at: offset + 16, hasLatest: bytes[offset + 8] & 1 == 1)
        )
    }

    /// Version 1: magic, version, flags, 2 zero bytes, the seven fields, CRC of the first 64.
    private static func decodeLegacy(_ bytes: [UInt8], path: String) throws(ShapeLogError) -> ChangeLogCommittedState {
        guard bytes.count == legacySize else { throw .corrupt(path: path, detail: "unexpected size \(bytes.count)") }
        guard CRC32C.checksum(bytes[0..<(legacySize - 4)]) == bytes.loadInteger(UInt32.self, at: legacySize - 4, .littleEndian) else {
            throw .corrupt(path: path, detail: "state checksum mismatch")
        }
        return decodeFields(bytes, at: 8, hasLatest: bytes[5] & 1 == 1)
    }

    private static func appendFields(_ state: ChangeLogCommittedState, to bytes: inout [UInt8]) {
        bytes.appendInteger(state.byteLength, .littleEndian)
        bytes.appendInteger(state.entryCount, .littleEndian)
        bytes.appendInteger(state.closedChunkCount, .littleEndian)
        bytes.appendInteger(UInt64(bitPattern: state.latest?.tx ?? 0), .littleEndian)
        bytes.appendInteger(state.latest?.op ?? 0, .littleEndian)
        bytes.appendInteger(state.appliedThroughLSN.value, .littleEndian)
        bytes.appendInteger(state.openChunkBytes, .littleEndian)
    }

    private static func decodeFields(_ bytes: [UInt8], at offset: Int, hasLatest: Bool) -> ChangeLogCommittedState {
        let field = { (index: Int) in bytes.loadInteger(UInt64.self, at: offset + 8 * index, .littleEndian) }
        return ChangeLogCommittedState(
            byteLength: field(0),
            entryCount: field(1),
            closedChunkCount: field(2),
            latest: hasLatest ? LogOffset(tx: Int64(bitPattern: field(3)), op: field(4)) : nil,
            appliedThroughLSN: LSN(field(5)),
            openChunkBytes: field(6)
        )
    }
}

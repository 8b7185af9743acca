import CCRC32C

/// CRC-32C (Castagnoli): the checksum of every spool frame and segment header.
///
/// Polynomial 0x1EDC6F41 (reflected 0x82F63B78), initial value and final XOR 0xFFFFFFFF, the same
/// CRC as iSCSI, ext4 metadata and PostgreSQL's WAL records. `crc32c("123456789") == 0xE3069283`.
///
/// On x86-64 with SSE 4.2 (detected once, at first use) the `crc32` instruction does the work
/// (`CCRC32C`, well above 10 GB/s); elsewhere a software slicing-by-8 loop (eight 256-entry tables,
/// eight bytes per step, roughly 1–2 GB/s). Both compute the same function: the tests compare
/// them. Checksums are incremental: pass a previous result to ``update(_:_:)`` to continue it over
/// more bytes.
public enum CRC32C {
    /// Whether ``update(_:_:)`` uses the CPU's instruction.
    public static let usesHardware = conduit_crc32c_hardware_available() == 1

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        update(0, bytes)
    }

    /// The checksum of an array or slice of bytes.
    public static func checksum(_ bytes: some ContiguousBytesCollection) -> UInt32 {
        bytes.withContiguousBytes { update(0, $0) }
    }

    /// Continues `crc` (a previous result, or 0 to start) over `bytes`.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        if usesHardware { return ~conduit_crc32c_hardware(~crc, base, bytes.count) }
        return softwareUpdate(crc, bytes)
    }

    /// ``update(_:_:)`` without the CPU's instruction (the portable path, and the tests' oracle).
    public static func softwareUpdate(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var state = ~crc
        guard var pointer = bytes.baseAddress else { return crc }
        var count = bytes.count
        tables.withUnsafeBufferPointer { table in
            while count >= 8 {
                let word = UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self)) ^ UInt64(state)
                state =
                    table[7 * 256 + Int(word & 0xFF)]
                    ^ table[6 * 256 + Int((word >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((word >> 16) & 0xFF)]
                    ^ table[4 * 256 + Int((word >> 24) & 0xFF)]
                    ^ table[3 * 256 + Int((word >> 32) & 0xFF)]
                    ^ table[2 * 256 + Int((word >> 40) & 0xFF)]
                    ^ table[1 * 256 + Int((word >> 48) & 0xFF)]
                    ^ table[Int(word >> 56)]
                pointer += 8
                count -= 8
            }
            while count > 0 {
                let byte = pointer.load(as: UInt8.self)
                state = table[Int((state ^ UInt32(byte)) & 0xFF)] ^ (state >> 8)
                pointer += 1
                count -= 1
            }
        }
        return ~state
    }

    /// `tables[k * 256 + b]` is the CRC of byte `b` followed by `k` zero bytes.
    private static let tables: [UInt32] = {
        let polynomial: UInt32 = 0x82F6_3B78
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 {
                crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1
            }
            tables[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = tables[(slice - 1) * 256 + byte]
                tables[slice * 256 + byte] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()
}

/// Byte collections with contiguous storage that ``CRC32C`` can read without copying.
public protocol ContiguousBytesCollection {
    func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R
}

extension Array: ContiguousBytesCollection where Element == UInt8 {
    public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { withUnsafeBytes(body) }
}

extension ArraySlice: ContiguousBytesCollection where Element == UInt8 {
    public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { withUnsafeBytes(body) }
}

/// Small files replaced whole (`shape.json`, `router.checkpoint`, and the `router.json` of older shapes) with a checksum:
/// the payload, then the trailer line `#crc32c=<8 hex digits>` (CRC-32C of the payload), written
/// with ``AtomicFile``.
///
/// A file without a trailer is what an earlier release wrote and is returned as it is; a damaged
/// trailer leaves text after the JSON, which its decoder then refuses. Either way a flipped byte
/// is an error naming the file, never a silently different shape definition or position.
public enum ChecksummedFile {
    /// The stored checksum does not match the payload.
    public struct Mismatch: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "\(path): checksum mismatch (the file is damaged)" }
    }

    private static let marker = Array("\n#crc32c=".utf8)
    private static let trailerSize = marker.count + 8 + 1

    /// Replaces the file at `path` with `payload` and its trailer.
    public static func write(path: String, payload: [UInt8], durable: Bool = true) throws(FileError) {
        try AtomicFile.write(path: path, bytes: seal(payload), durable: durable)
    }

    /// The payload of the file at `path`, nil when there is none.
    /// - Throws: ``FileError`` when it cannot be read, ``Mismatch`` when it is damaged.
    public static func read(path: String) throws -> [UInt8]? {
        guard let bytes = try AtomicFile.read(path: path) else { return nil }
        return try open(bytes, path: path)
    }

    /// `payload` followed by its trailer.
    public static func seal(_ payload: [UInt8]) -> [UInt8] {
        let hex = String(CRC32C.checksum(payload), radix: 16)
        return payload + marker + Array((String(repeating: "0", count: 8 - hex.utf8.count) + hex + "\n").utf8)
    }

    /// The payload of `bytes` after checking its trailer; `bytes` itself when it has none.
    public static func open(_ bytes: [UInt8], path: String) throws(Mismatch) -> [UInt8] {
        guard bytes.count >= trailerSize, bytes.last == UInt8(ascii: "\n") else { return bytes }
        let start = bytes.count - trailerSize
        guard Array(bytes[start..<(start + marker.count)]) == marker,
            let stored = UInt32(String(decoding: bytes[(start + marker.count)..<(bytes.count - 1)], as: UTF8.self), radix: 16)
        else { return bytes }
        let payload = Array(bytes[..<start])
        guard CRC32C.checksum(payload) == stored else { throw Mismatch(path: path) }
        return payload
    }
}

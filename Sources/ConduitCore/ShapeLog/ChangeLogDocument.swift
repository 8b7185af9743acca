/// The shape's document (``ShapeMetadata`` and router's record of it, the JSON an earlier release
/// kept in `shape.json`) stored as the first frame of a version-2 `changes.log`.
///
/// Router writes it once, in the same write as the file's header, when it creates a shape's change
/// log; nothing rewrites it (`router replay` keeps it and starts the entries again after it).
/// Keeping it there instead of in a file of its own saves the inode router's loop allocated for
/// every new shape (issue 11: creation is mostly inode allocation). A version-1 change log has no
/// document: its shape's definition is in `shape.json`.
///
/// Layout: the file header (`CCHG`, version 2), then one frame (``ShapeLogFormat``: length, CRC-32C,
/// payload) whose payload is the document; the change entries' frames follow it.
public enum ChangeLogDocument {
    /// The change-log version whose first frame is the document.
    static let logVersion: UInt8 = 2
    /// A document longer than this is a damaged length, not a definition (requests are far smaller).
    static let maxLength = 16 << 20

    /// The start of a new version-2 change log holding `document`: header and document frame.
    static func fileStart(document: [UInt8]) -> [UInt8] {
        var bytes = ShapeLogFormat.fileHeader(magic: ShapeLogFormat.changeLogMagic, version: logVersion)
        ShapeLogFormat.appendFrame(document, to: &bytes)
        return bytes
    }

    /// Where the first change entry starts in the open change log whose header is `header`: after
    /// the header (version 1) or after the document (version 2).
    /// `header` may hold more than the file header: the document's frame header is then read
    /// from it rather than from the file.
    static func entriesStart(of file: PosixFile, header: [UInt8], path: String) throws(ShapeLogError) -> UInt64 {
        guard header[4] == logVersion else { return UInt64(ShapeLogFormat.fileHeaderSize) }
        let frameHeaderEnd = ShapeLogFormat.fileHeaderSize + ShapeLogFormat.frameHeaderSize
        let start =
            header.count >= frameHeaderEnd
            ? header : try ShapeLogIO.committedBytes(file, at: 0, count: frameHeaderEnd)
        let length = Int(start.loadInteger(UInt32.self, at: ShapeLogFormat.fileHeaderSize, .littleEndian))
        guard length <= maxLength else { throw .corrupt(path: path, detail: "shape document of \(length) bytes") }
        return UInt64(ShapeLogFormat.fileHeaderSize + ShapeLogFormat.frameHeaderSize + length)
    }

    /// The document in the change log at `path`, checksum verified; nil when there is no such file
    /// or it is a version-1 log (the document is then in `shape.json`), or when the file is still
    /// empty (created, header not written yet: a crash at that moment leaves no shape).
    /// - Throws: ``ShapeLogError/corrupt(path:detail:)`` on a foreign header, a document cut short
    ///   or a checksum mismatch.
    public static func read(path: String) throws(ShapeLogError) -> [UInt8]? {
        guard let file = try ShapeLogIO.openIfExists(path) else { return nil }
        // One read covers the header and a typical document (about 900 bytes).
        var bytes = try ShapeLogIO.run { () throws(FileError) in try file.read(count: 2048, at: 0) }
        guard !bytes.isEmpty else { return nil }
        let version = try ShapeLogFormat.checkFileHeader(
            bytes, magic: ShapeLogFormat.changeLogMagic, path: path, versions: ShapeLogFormat.logVersions(ShapeLogFormat.changeLogMagic))
        guard version == logVersion else { return nil }
        let start = ShapeLogFormat.fileHeaderSize + ShapeLogFormat.frameHeaderSize
        guard bytes.count >= start else { throw .corrupt(path: path, detail: "shape document cut short") }
        let length = Int(bytes.loadInteger(UInt32.self, at: ShapeLogFormat.fileHeaderSize, .littleEndian))
        guard length <= maxLength else { throw .corrupt(path: path, detail: "shape document of \(length) bytes") }
        if bytes.count < start + length {
            guard let whole = try ShapeLogIO.run({ () throws(FileError) in try file.readExactly(count: start + length, at: 0) }) else {
                throw .corrupt(path: path, detail: "shape document cut short")
            }
            bytes = whole
        }
        let document = bytes[start..<(start + length)]
        guard CRC32C.checksum(document) == bytes.loadInteger(UInt32.self, at: ShapeLogFormat.fileHeaderSize + 4, .littleEndian)
        else {
            throw .corrupt(path: path, detail: "checksum mismatch in frame at relative byte 0")
        }
        return Array(document)
    }
}

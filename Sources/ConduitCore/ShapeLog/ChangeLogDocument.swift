/// The shape's document (``ShapeMetadata`` and router's record of it, the JSON an earlier release
/// kept in `shape.json`) stored as the first frame of a `changes.log` (version 2, or version 3 with
/// the document flag, ``ChangeLogLayout``).
///
/// Router writes it once, in the same write as the file's header, when it creates a shape's change
/// log; nothing rewrites it (`router replay` keeps it and starts the entries again after it).
/// Keeping it there instead of in a file of its own saves the inode router's loop allocated for
/// every new shape (issue 11: creation is mostly inode allocation). A log without one (version 1,
/// or a version-3 log rebuilt by `router replay` for such a shape) leaves the shape's definition in
/// `shape.json`.
///
/// Layout: the file header, then one plain frame (``ShapeLogFormat``: length, CRC-32C, payload)
/// whose payload is the document; the change entries' frames follow it.
public enum ChangeLogDocument {
    /// A document longer than this is a damaged length, not a definition (requests are far smaller).
    static let maxLength = 16 << 20

    /// The start of a new change log in `layout`: its header, and the document's frame when
    /// `document` is given (`layout` must say it has one).
    static func fileStart(layout: ChangeLogLayout, document: [UInt8]?) -> [UInt8] {
        precondition(layout.hasDocument == (document != nil), "the layout says whether a document follows")
        var bytes = layout.fileHeader
        if let document { ShapeLogFormat.appendFrame(document, to: &bytes) }
        return bytes
    }

    /// Where the first change entry starts in the open change log whose header is `header`: after
    /// the header, or after the document when the log has one.
    /// `header` may hold more than the file header: the document's frame header is then read
    /// from it rather than from the file.
    static func entriesStart(of file: PosixFile, header: [UInt8], path: String) throws(ShapeLogError) -> UInt64 {
        guard ChangeLogLayout(header: header).hasDocument else { return UInt64(ShapeLogFormat.fileHeaderSize) }
        let frameHeaderEnd = ShapeLogFormat.fileHeaderSize + ShapeLogFormat.frameHeaderSize
        let start =
            header.count >= frameHeaderEnd
            ? header : try ShapeLogIO.committedBytes(file, at: 0, count: frameHeaderEnd)
        let length = Int(start.loadInteger(UInt32.self, at: ShapeLogFormat.fileHeaderSize, .littleEndian))
        guard length <= maxLength else { throw .corrupt(path: path, detail: "shape document of \(length) bytes") }
        return UInt64(ShapeLogFormat.fileHeaderSize + ShapeLogFormat.frameHeaderSize + length)
    }

    /// The document in the change log at `path`, checksum verified; nil when there is no such file
    /// or the log has none (the document is then in `shape.json`), or when the file is still
    /// empty (created, header not written yet: a crash at that moment leaves no shape).
    /// - Throws: ``ShapeLogError/corrupt(path:detail:)`` on a foreign header, a document cut short
    ///   or a checksum mismatch.
    public static func read(path: String) throws(ShapeLogError) -> [UInt8]? {
        guard let file = try ShapeLogIO.openIfExists(path) else { return nil }
        // One read covers the header and a typical document (about 900 bytes).
        var bytes = try ShapeLogIO.run { () throws(FileError) in try file.read(count: 2048, at: 0) }
        guard !bytes.isEmpty else { return nil }
        try ShapeLogFormat.checkFileHeader(
            bytes, magic: ShapeLogFormat.changeLogMagic, path: path, versions: ShapeLogFormat.logVersions(ShapeLogFormat.changeLogMagic))
        guard ChangeLogLayout(header: bytes).hasDocument else { return nil }
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

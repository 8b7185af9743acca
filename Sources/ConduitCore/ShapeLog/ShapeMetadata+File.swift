import Foundation

extension ShapeMetadata {
    /// The key of the shape's document that holds router's own record of the shape (column types,
    /// snapshot, replay origin), which serve ignores. Shapes created before it have `router.json`.
    public static let routerRecordKey = "router"

    /// The shape's document with router's record of it stored under ``routerRecordKey``: what
    /// router writes at the start of a new shape's `changes.log` (``ChangeLogDocument``), so a
    /// shape has no file of its own for its definition (each file is an inode allocated while
    /// creating a shape, issue 11). Written by ``JSONWritable``, the keys `JSONEncoder` writes.
    public func document(routerRecord: some JSONWritable) -> [UInt8] {
        var writer = JSONWriter(capacity: 1024)
        writer.object { members in
            writeMembers(into: &members)
            members.add(Self.routerRecordKey, routerRecord)
        }
        return writer.bytes
    }

    /// Writes `shape.json` (with a ``ChecksummedFile`` trailer) into the shape folder atomically
    /// (temp, fsync, rename, directory fsync): the layout of a shape an earlier release created,
    /// which readers still accept (``read(fromDirectory:)``).
    public func write(toDirectory directory: String, durable: Bool = true) throws {
        try write(StoredShape<Never>(metadata: self, routerRecord: nil), toDirectory: directory, durable: durable)
    }

    /// ``write(toDirectory:durable:)`` with router's record of the shape stored under
    /// ``routerRecordKey``, as releases between `router.json` and ``ChangeLogDocument`` wrote it.
    public func write(toDirectory directory: String, durable: Bool = true, routerRecord: some Encodable) throws {
        try write(StoredShape(metadata: self, routerRecord: routerRecord), toDirectory: directory, durable: durable)
    }

    private func write(_ stored: some Encodable, toDirectory directory: String, durable: Bool) throws {
        try ShapeLogIO.atomicWrite(
            ChecksummedFile.seal(Self.encode(stored)), to: ShapeLogFiles(directory: directory).metadata, durable: durable)
    }

    private static func encode(_ stored: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return [UInt8](try encoder.encode(stored))
    }

    /// Reads a shape folder's document: the first frame of its `changes.log`, or `shape.json` for a
    /// shape an earlier release created (a version-1 change log); nil when the folder holds neither.
    /// Blocking: call it off the event loops.
    /// - Throws: ``ShapeLogError`` when it cannot be read or is damaged,
    ///   ``ChecksummedFile/Mismatch`` when `shape.json` is damaged, ``JSONReadError`` (naming the
    ///   file) when it is not a shape definition.
    public static func read(fromDirectory directory: String) throws -> ShapeMetadata? {
        try readDocument(fromDirectory: directory) { root throws(JSONReadError) in try ShapeMetadata(json: root) }
    }

    /// ``read(fromDirectory:)``, also reading router's record from the same document: nil when
    /// the file has none (a shape created before it was stored there).
    public static func read<Record: JSONReadable>(fromDirectory directory: String, routerRecord: Record.Type) throws
        -> (metadata: ShapeMetadata, routerRecord: Record?)?
    {
        try readDocument(fromDirectory: directory) { root throws(JSONReadError) in
            (try ShapeMetadata(json: root), try JSONObject(root).decodeIfPresent(routerRecordKey, as: Record.self))
        }
    }

    private static func readDocument<T>(fromDirectory directory: String, _ read: (JSONNode) throws(JSONReadError) -> T) throws -> T? {
        let files = ShapeLogFiles(directory: directory)
        var path = files.changeLog
        var payload = try ChangeLogDocument.read(path: path)
        if payload == nil {
            path = files.metadata
            guard let bytes = try ShapeLogIO.readWholeFile(path) else { return nil }
            payload = try ChecksummedFile.open(bytes, path: path)
        }
        guard let payload else { return nil }
        do {
            return try read(JSONDocument(parsing: payload).root)
        } catch {
            throw error.reading(path)
        }
    }
}

/// A shape's document: the metadata's keys, and router's record beside them.
private struct StoredShape<Record: Encodable>: Encodable {
    let metadata: ShapeMetadata
    let routerRecord: Record?

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        try metadata.encode(to: encoder)
        guard let routerRecord else { return }
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(routerRecord, forKey: Key(stringValue: ShapeMetadata.routerRecordKey))
    }
}

import Foundation

extension ShapeMetadata {
    /// The key of `shape.json` that holds router's own record of the shape (column types,
    /// snapshot, replay origin), which serve ignores. Shapes created before it have `router.json`.
    public static let routerRecordKey = "router"

    /// Writes `shape.json` (with a ``ChecksummedFile`` trailer) into the shape folder atomically
    /// (temp, fsync, rename, directory fsync), so serve never reads a partial definition. router
    /// calls it once, before announcing the handle.
    public func write(toDirectory directory: String, durable: Bool = true) throws {
        try write(StoredShape<Never>(metadata: self, routerRecord: nil), toDirectory: directory, durable: durable)
    }

    /// ``write(toDirectory:durable:)`` with router's record of the shape stored under
    /// ``routerRecordKey``: one file per shape instead of two (each file is an inode allocated
    /// while creating a shape, issue 11).
    public func write(toDirectory directory: String, durable: Bool = true, routerRecord: some Encodable) throws {
        try write(StoredShape(metadata: self, routerRecord: routerRecord), toDirectory: directory, durable: durable)
    }

    private func write(_ stored: some Encodable, toDirectory directory: String, durable: Bool) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = [UInt8](try encoder.encode(stored))
        try ShapeLogIO.atomicWrite(ChecksummedFile.seal(bytes), to: ShapeLogFiles(directory: directory).metadata, durable: durable)
    }

    /// Reads `shape.json` from a shape folder; nil when the folder or file does not exist.
    /// Blocking: call it off the event loops.
    /// - Throws: ``ShapeLogError`` when it cannot be read, ``ChecksummedFile/Mismatch`` when it is
    ///   damaged, ``JSONReadError`` (naming the file) when it is not a shape definition.
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
        let path = ShapeLogFiles(directory: directory).metadata
        guard let bytes = try ShapeLogIO.readWholeFile(path) else { return nil }
        let payload = try ChecksummedFile.open(bytes, path: path)
        do {
            return try read(JSONDocument(parsing: payload).root)
        } catch {
            throw error.reading(path)
        }
    }
}

/// `shape.json`'s document: the metadata's keys, and router's record beside them.
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

import Foundation

extension ShapeMetadata {
    /// Writes `shape.json` (with a ``ChecksummedFile`` trailer) into the shape folder atomically
    /// (temp, fsync, rename, directory fsync), so serve never reads a partial definition. router
    /// calls it once, before announcing the handle.
    public func write(toDirectory directory: String, durable: Bool = true) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = [UInt8](try encoder.encode(self))
        try ShapeLogIO.atomicWrite(ChecksummedFile.seal(bytes), to: ShapeLogFiles(directory: directory).metadata, durable: durable)
    }

    /// Reads `shape.json` from a shape folder; nil when the folder or file does not exist.
    /// Blocking: call it off the event loops.
    /// - Throws: ``ShapeLogError`` when it cannot be read, ``ChecksummedFile/Mismatch`` when it is
    ///   damaged, ``JSONReadError`` (naming the file) when it is not a shape definition.
    public static func read(fromDirectory directory: String) throws -> ShapeMetadata? {
        let path = ShapeLogFiles(directory: directory).metadata
        guard let bytes = try ShapeLogIO.readWholeFile(path) else { return nil }
        let payload = try ChecksummedFile.open(bytes, path: path)
        do {
            return try ShapeMetadata(jsonBytes: payload)
        } catch {
            throw error.reading(path)
        }
    }
}

import Foundation
import Testing

@testable import ConduitCore

/// A stopped router's shape document (definition and router's record, the first frame of the
/// shape's `changes.log`), read and rewritten in place: what tests use to play an operator's edit,
/// another release's text, or retention having removed what a record names.
enum StoredShapeDocument {
    /// The document of the shape in `folder`, as a JSON object.
    static func read(folder: String) throws -> [String: Any] {
        let bytes = try #require(try ChangeLogDocument.read(path: ShapeLogFiles(directory: folder).changeLog))
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    /// Replaces the document of the shape in `folder` with `document`, checksummed like router's:
    /// padded with spaces to the stored document's length, since the change entries follow it.
    static func write(_ document: [String: Any], folder: String) throws {
        let path = ShapeLogFiles(directory: folder).changeLog
        var log = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let start = ShapeLogFormat.fileHeaderSize
        let length = Int(log.loadInteger(UInt32.self, at: start, .littleEndian))
        var payload = [UInt8](try JSONSerialization.data(withJSONObject: document))
        try #require(payload.count <= length, "the edited document must not be longer than the stored one")
        payload += [UInt8](repeating: UInt8(ascii: " "), count: length - payload.count)
        var frame: [UInt8] = []
        ShapeLogFormat.appendFrame(payload, to: &frame)
        log.replaceSubrange(start..<(start + frame.count), with: frame)
        try Data(log).write(to: URL(fileURLWithPath: path))
    }
}

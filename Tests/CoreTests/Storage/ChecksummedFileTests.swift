import Foundation
import TestSupport
import Testing

@testable import ConduitCore

/// `shape.json`, `router.json` and `router.checkpoint` carry a CRC-32C trailer: a damaged byte is
/// an error naming the file; files of an earlier release (no trailer) are read as they are.
struct ChecksummedFileTests {
    let payload = Array(#"{"position":{"segment":1,"offset":64},"commitEndLSN":123}"#.utf8)

    @Test func sealedFilesOpenToTheirPayload() throws {
        let sealed = ChecksummedFile.seal(payload)
        #expect(String(decoding: sealed.suffix(18), as: UTF8.self).hasPrefix("\n#crc32c="))
        #expect(try ChecksummedFile.open(sealed, path: "f") == payload)
        #expect(try ChecksummedFile.open(payload, path: "f") == payload, "a file without a trailer is an earlier release's")
    }

    @Test func everyFlippedPayloadByteIsCaught() throws {
        let sealed = ChecksummedFile.seal(payload)
        for index in payload.indices {
            var damaged = sealed
            damaged[index] ^= 0x01
            #expect(throws: ChecksummedFile.Mismatch.self) { try ChecksummedFile.open(damaged, path: "f") }
        }
    }

    @Test func aDamagedTrailerLeavesTextTheDecoderRefuses() throws {
        var damaged = ChecksummedFile.seal(payload)
        damaged[payload.count + 1] ^= 0x01  // '#'
        let opened = try ChecksummedFile.open(damaged, path: "f")
        #expect(opened == damaged)
        #expect(throws: (any Error).self) { try JSONSerialization.jsonObject(with: Data(opened)) }
    }

    @Test func aDamagedShapeDefinitionIsAnErrorNotAnotherShape() throws {
        try ShapeLogTestSupport.withTemporaryDirectory { directory in
            let metadata = ShapeMetadata(
                handle: "h-1", definition: ShapeDefinition(schema: "public", table: "items", whereClause: "id < 10"),
                relationID: 16384, primaryKey: ["id"], columns: ["id"], schemaHeader: "{}", normalizedWhere: "id < 10")
            try metadata.write(toDirectory: directory)
            #expect(try ShapeMetadata.read(fromDirectory: directory) == metadata)
            let path = ShapeLogFiles(directory: directory).metadata
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let digit = try #require(bytes.indices.first { bytes[$0] == UInt8(ascii: "1") && bytes[$0 + 1] == UInt8(ascii: "0") })
            bytes[digit] = UInt8(ascii: "9")  // `id < 90`: still valid JSON
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(throws: ChecksummedFile.Mismatch.self) { try ShapeMetadata.read(fromDirectory: directory) }
        }
    }
}

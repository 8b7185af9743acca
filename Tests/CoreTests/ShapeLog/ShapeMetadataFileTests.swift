import TestSupport
import Testing

@testable import ConduitCore

struct ShapeMetadataFileTests {
    @Test func writesAndReadsShapeJSON() throws {
        try ShapeLogTestSupport.withTemporaryDirectory { directory in
            #expect(try ShapeMetadata.read(fromDirectory: directory) == nil)
            let metadata = ShapeMetadata(
                handle: "123-456",
                definition: ShapeDefinition(
                    schema: "public",
                    table: "items",
                    whereClause: "id > $1",
                    params: [1: "5"],
                    columns: ["id", "Title"],
                    replica: .full
                ),
                relationID: 16384,
                primaryKey: ["id"],
                columns: ["id", "Title"],
                schemaHeader: "{\"id\":{\"type\":\"int4\",\"pk_index\":0}}",
                normalizedWhere: "id > '5'"
            )
            try metadata.write(toDirectory: directory)
            #expect(try ShapeMetadata.read(fromDirectory: directory) == metadata)
        }
    }
}

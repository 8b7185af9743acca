import ConduitCore
import Foundation
import Testing

/// `shape.json` and `router.json` written before `log` existed still load.
struct ShapeDefinitionCodingTests {
    @Test func definitionsWrittenBeforeTheLogModeDecodeAsFull() throws {
        let old = #"{"schema":"public","table":"t","params":{},"replica":"default"}"#
        let decoded = try JSONDecoder().decode(ShapeDefinition.self, from: Data(old.utf8))
        #expect(decoded == ShapeDefinition(schema: "public", table: "t"))
        let roundTrip = try JSONDecoder().decode(
            ShapeDefinition.self, from: JSONEncoder().encode(ShapeDefinition(schema: "s", table: "t", log: .changesOnly)))
        #expect(roundTrip.log == .changesOnly)
    }
}

import ConduitCore
import Testing

@testable import Serve

/// `log` and the subset parameters (protocol.md §3.4) as serve parses them, before router.
struct SubsetParametersTests {
    static func parse(_ query: String, body: String? = nil) throws -> ShapeRequest {
        let bodyPairs = try body.map { try SubsetParameters.pairs(fromBody: Array($0.utf8)) } ?? []
        return try ShapeRequest.parse(QueryString.parse(query) + bodyPairs)
    }

    static func errors(_ query: String) -> [String: [String]]? {
        do {
            _ = try ShapeRequest.parse(QueryString.parse(query))
            return nil
        } catch {
            return error.errors
        }
    }

    @Test func logModeIsPartOfTheDefinition() throws {
        let changesOnly = try Self.parse("table=t&offset=-1&log=changes_only")
        #expect(changesOnly.definition.log == .changesOnly)
        #expect(changesOnly.definition != (try Self.parse("table=t&offset=-1&log=full")).definition)
        #expect(try Self.parse("table=t&offset=-1").definition.log == .full)
        #expect(changesOnly.subset == nil)
    }

    @Test func getParametersMakeASubset() throws {
        let request = try Self.parse(
            "table=t&offset=-1&subset__where=a+%3E+%241&subset__params=%7B%221%22%3A5%7D&subset__order_by=a+DESC&subset__limit=10&subset__offset=20"
                + "&subset__where_expr=ignored")
        #expect(request.subset == SubsetRequest(whereClause: "a > $1", params: [1: "5"], orderBy: "a DESC", limit: 10, offset: 20))
        let exploded = try Self.parse("table=t&offset=-1&subset__where=a=$1&subset__params%5B1%5D=x")
        #expect(exploded.subset?.params == [1: "x"])
        #expect(try Self.parse("table=t&offset=-1&subset__where_expr=x").subset == nil, "*_expr alone is not a subset")
    }

    @Test func postBodiesBecomeTheSameParameters() throws {
        let flat = try Self.parse("table=t&offset=-1", body: #"{"where":"a = $1","params":{"1":"x"},"limit":2,"order_by":"a"}"#)
        #expect(flat.subset == SubsetRequest(whereClause: "a = $1", params: [1: "x"], orderBy: "a", limit: 2))
        let nested = try Self.parse("table=t&offset=-1", body: #"{"subset":{"where":"a = 1"},"where_expr":{}}"#)
        #expect(nested.subset == SubsetRequest(whereClause: "a = 1"))
        #expect(try Self.parse("table=t&offset=-1", body: "  ").subset == nil)
        #expect(throws: SubsetParameters.BodyError(error: "Request body must be a JSON object")) {
            try SubsetParameters.pairs(fromBody: Array("[1]".utf8))
        }
        #expect(throws: SubsetParameters.BodyError.self) { try SubsetParameters.pairs(fromBody: Array("{".utf8)) }
        let boolean = try? Self.parse("table=t&offset=-1", body: #"{"limit":true,"order_by":"a"}"#)
        #expect(boolean == nil, "a boolean limit is invalid")
    }

    @Test(arguments: [
        ("subset__limit=1", ["subset.order_by": ["order_by is required when limit or offset is present"]]),
        ("subset__offset=1", ["subset.order_by": ["order_by is required when limit or offset is present"]]),
        ("subset__limit=0&subset__order_by=a", ["subset.limit": ["must be greater than 0"]]),
        ("subset__limit=x&subset__order_by=a", ["subset.limit": ["is invalid"]]),
        ("subset__offset=-2&subset__order_by=a", ["subset.offset": ["must be greater than or equal to 0"]]),
        ("subset__params=%5B1%5D", ["subset.params": ["is invalid"]]),
        ("subset__where=a=$1&subset__params=%7B%22x%22%3A%221%22%7D", ["subset.params": ["Parameters can only use numbers as keys"]]),
        ("subset__order_by=a%3B", ["subset.order_by": ["Unexpected `;` in order by"]]),
        ("subset__order_by=f(a)", ["subset.order_by": ["At location 18: FuncCall expressions are not allowed in ORDER BY clauses"]]),
    ])
    func rejects(query: String, errors: [String: [String]]) {
        #expect(Self.errors("table=t&offset=-1&" + query) == errors)
    }

    @Test func nestedErrorsRenderUnderSubset() async throws {
        let response = ErrorResponses.invalidRequest(["subset.limit": ["is invalid"], "table": ["x"]])
        #expect(
            try await response.bodyText() == #"{"message":"Invalid request","errors":{"table":["x"],"subset":{"limit":["is invalid"]}}}"#)
        let failed = ErrorResponses.rejected(.subsetQueryFailed(message: "invalid input value for enum mood: \"x\""))
        #expect(
            try await failed.bodyText()
                == #"{"message":"Invalid request","errors":{"subset":{"where":"invalid input value for enum mood: \"x\""}}}"#)
    }

    @Test func deletionTargets() throws {
        let byHandle = try ShapeRoutes.deletionTarget(QueryString.parse("handle=h-1&offset=garbage"))
        #expect(byHandle.definition == nil && byHandle.handle == "h-1")
        let byDefinition = try ShapeRoutes.deletionTarget(QueryString.parse("table=t&where=a%3D1&log=changes_only&live=true&offset=x"))
        #expect(byDefinition.definition == ShapeDefinition(schema: "public", table: "t", whereClause: "a=1", log: .changesOnly))
        #expect(throws: ShapeRequestError("handle", "can't be blank when shape definition is missing")) {
            try ShapeRoutes.deletionTarget([])
        }
        #expect(throws: ShapeRequestError("live", "is invalid")) {
            try ShapeRoutes.deletionTarget(QueryString.parse("table=t&live=banana"))
        }
    }
}

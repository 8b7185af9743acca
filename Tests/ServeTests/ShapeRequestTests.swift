import ConduitCore
import Testing

@testable import Serve

struct ShapeRequestTests {
    static func parse(_ query: String) throws(ShapeRequestError) -> ShapeRequest {
        try ShapeRequest.parse(QueryString.parse(query))
    }

    static func errors(_ query: String) -> [String: [String]]? {
        do {
            _ = try parse(query)
            return nil
        } catch {
            return error.errors
        }
    }

    @Test func initialRequest() throws {
        let request = try Self.parse("table=items&offset=-1&handle=ignored")
        #expect(request.definition == ShapeDefinition(schema: "public", table: "items"))
        #expect(request.offset == .offset(.beforeAll))
        #expect(request.handle == nil)
        #expect(!request.live)
    }

    @Test func fullRequestAsTheTypeScriptClientSendsIt() throws {
        let request = try Self.parse(
            "columns=%22id%22%2C%22Title%22&cursor=123&handle=h-1&live=true&log=full&offset=26800584_4"
                + "&params%5B1%5D=a+b&params%5B2%5D=x&replica=full&table=Sch.%22Items%22&where=id+%3E+%241"
        )
        #expect(
            request.definition
                == ShapeDefinition(
                    schema: "sch",
                    table: "Items",
                    whereClause: "id > $1",
                    params: [1: "a b", 2: "x"],
                    columns: ["Title", "id"],
                    replica: .full
                )
        )
        #expect(request.offset == .offset(LogOffset(tx: 26_800_584, op: 4)))
        #expect(request.handle == "h-1")
        #expect(request.live)
        #expect(request.cursor == "123")
    }

    @Test(arguments: [
        ("offset=-1", ["table": ["can't be blank"]]),
        ("table=&offset=-1", ["table": ["can't be blank"]]),
        ("table=+%20&offset=-1", ["table": ["can't be blank"]]),
        ("table=items", ["offset": ["can't be blank"]]),
        ("table=items&offset=invalid", ["offset": ["has invalid format"]]),
        ("table=items&offset=0_-1", ["offset": ["has invalid format"]]),
        ("table=items&offset=10", ["offset": ["has invalid format"]]),
        ("table=items&offset=1_2_3", ["offset": ["has invalid format"]]),
        ("table=items&offset=1_2%20", ["offset": ["has invalid format"]]),
        ("table=items&offset=10_32.1", ["offset": ["has invalid format"]]),
        ("table=items&offset=0_0", ["handle": ["can't be blank when offset != -1"]]),
        ("table=items&offset=-1&live=true", ["live": ["can't be true when offset == -1"]]),
        ("table=items&offset=-1&live", ["live": ["can't be true when offset == -1"]]),
        ("table=items&offset=now&live=1", ["live": ["can't be true when offset is 'now'"]]),
        ("table=items&offset=0_0&handle=h&live_sse=true", ["live_sse": ["can't be true unless live is also true"]]),
        ("table=items&offset=0_0&handle=h&experimental_live_sse=true", ["live_sse": ["can't be true unless live is also true"]]),
        ("table=.invalid&offset=-1", ["table": ["Invalid zero-length delimited identifier"]]),
        ("table=a.b.c&offset=-1", ["table": ["Invalid relation identifier, too many delimiters: a.b.c"]]),
        ("table=items&offset=-1&columns=foo,", ["columns": ["Invalid zero-length delimited identifier"]]),
        ("table=items&offset=-1&columns=id,+title", ["columns": ["Invalid unquoted identifier contains special characters:  title"]]),
        ("table=items&offset=-1&replica=partial", ["replica": ["is invalid"]]),
        ("table=items&offset=-1&log=some", ["log": ["is invalid"]]),
        ("table=items&offset=-1&params=%7B%7D", ["params": ["is invalid"]]),
        ("table=items&offset=-1&where=x%3D%241&params%5Ba%5D=1", ["params": ["Parameters can only use numbers as keys"]]),
        ("table=items&offset=-1&where=x%3D%241&params%5B2%5D=1", ["params": ["Parameters must be numbered sequentially, starting from 1"]]),
        ("table=items&offset=-1&where=x%3D%241&params%5B0%5D=1", ["params": ["Parameters must be numbered sequentially, starting from 1"]]),
    ])
    func rejects(query: String, errors: [String: [String]]) {
        #expect(Self.errors(query) == errors)
    }

    /// Casting errors are collected together before the offset is even looked at (§3.0).
    @Test func castingErrorsComeFirstAndTogether() {
        #expect(Self.errors("replica=x&log=y") == ["replica": ["is invalid"], "log": ["is invalid"]])
    }

    @Test func liveIsTrueForAnythingButFalse() throws {
        #expect(try Self.parse("table=t&offset=0_0&handle=h&live=false").live == false)
        #expect(try Self.parse("table=t&offset=0_0&handle=h&live=").live)
        #expect(try Self.parse("table=t&offset=0_0&handle=h&live=yes").live)
        #expect(try Self.parse("table=t&offset=0_0&handle=h&live=true&live_sse=false").liveSSE == false)
    }

    @Test func emptyValuesAreAbsent() throws {
        let request = try Self.parse("table=t&offset=-1&where=&columns=&replica=&cursor=")
        #expect(request.definition == ShapeDefinition(schema: "public", table: "t"))
        #expect(request.cursor == nil)
    }

    @Test func paramsWithoutWhereAreIgnored() throws {
        #expect(try Self.parse("table=t&offset=-1&params%5Bx%5D=1").definition.params.isEmpty)
    }

    @Test func nowAndInfinityOffsets() throws {
        let now = try Self.parse("table=t&offset=now&handle=h")
        #expect(now.offset == .now)
        #expect(now.handle == nil)
        #expect(try Self.parse("table=t&offset=0_inf&handle=h").offset == .offset(.snapshotEnd))
        #expect(try Self.parse("table=t&offset=-1_0").offset == .offset(.beforeAll))
    }

    @Test func quotedColumnsWithCommasAndQuotes() throws {
        let request = try Self.parse("table=t&offset=-1&columns=%22has%2Ccomma%22%2C%22has%22%22quote%22")
        #expect(request.definition.columns == ["has\"quote", "has,comma"])
    }
}

struct QueryStringTests {
    @Test func decodesKeysValuesAndPlus() {
        let pairs = QueryString.parse("a=1&params%5B1%5D=x+y%2Bz&flag&=empty&bad=%zz%4")
        #expect(pairs.map(\.key) == ["a", "params[1]", "flag", "", "bad"])
        #expect(pairs.map(\.value) == ["1", "x y+z", "", "empty", "%zz%4"])
    }

    @Test func emptyQuery() {
        #expect(QueryString.parse(nil).isEmpty)
        #expect(QueryString.parse("").isEmpty)
    }

    @Test(arguments: ["/v1/shape", "/v1/shape/", "/v1//shape", "/v1/shape//", "/v1/%73hape"])
    func normalizesShapePaths(path: String) {
        #expect(ServeResponder.normalize(path) == "/v1/shape")
    }

    @Test func normalizesRoot() {
        #expect(ServeResponder.normalize("/") == "/")
        #expect(ServeResponder.normalize("//") == "/")
    }
}

import Testing
@testable import Shared

struct WhereClauseSmokeTests {
    @Test func basicComparison() throws {
        #expect(try evaluate("id = 5", ["id": "5"]) == true)
        #expect(try evaluate("id = 5", ["id": "6"]) == false)
        #expect(try evaluate("id = 5", [:]) == nil)
        #expect(try evaluate("t = 'abc' and id > 2", ["t": "abc", "id": "3"]) == true)
    }

    @Test func constantTexts() throws {
        #expect(try constantText("1 + 2") == "3")
        #expect(try constantText("1.5 * 2") == "3.0")
        #expect(try constantText("1 / 3.0") == "0.33333333333333333333")
        #expect(try constantText("'1 day 02:00:00'::interval") == "P1DT2H")
        #expect(try constantText("0.1::float8 + 0.2::float8") == "0.30000000000000004")
        #expect(try constantText("1e20::float8") == "1e+20")
        #expect(try constantText("'2024-01-31'::date + '1 month'::interval") == "2024-02-29 00:00:00")
        #expect(try constantText("ARRAY[1,2,NULL]") == "{1,2,NULL}")
        #expect(try constantText("'{\"a b\",c}'::text[]") == "{\"a b\",c}")
    }
}

struct DebugProbe {
    @Test func probe() throws {
        print("PROBE", try constantText("'2024-01-31'::date + '1 month'::interval") ?? "nil")
        print("PROBE", try constantText("'1 month'::interval") ?? "nil")
        print("PROBE", try constantText("'2024-01-31'::date") ?? "nil")
        print("PROBE", try constantText("'2024-01-31'::date::timestamp") ?? "nil")
    }
}

import Foundation
import Testing
@testable import WhereClause

/// Robustness: random and mutated where clauses must always end in a compiled clause or a
/// thrown ``WhereClauseError`` — never a trap (integer overflow, index out of range, force
/// unwrap, stack overflow). Compiled clauses are also evaluated over hostile rows, rendered
/// and mined for indexable conditions. Seeded via `CONDUIT_FUZZ_SEED`; the seed is printed.
struct WhereClauseFuzzTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let corpus = [
        "id = 1", "t = 'abc' AND id > 2", "n BETWEEN 1 AND 10.5", "ia @> ARRAY[1,2]", "u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
        "d + 1 > '2024-01-01'", "ts - iv < tz::timestamp", "lower(t) LIKE 'a%'", "t ILIKE '%É%'", "mood::text IN ('a', 'b')",
        "coalesce(i2, i8, 5) = $1", "id = ANY('{1,2,3}'::int4[])", "NOT (b IS TRUE)", "f8 / f4 >= 1e308", "c = 'ab  '",
        "iv * 2.5 = '1 day'::interval", "justify_interval(iv) <> 'P1M'", "array_ndims(ia) = 1", "ta && '{a,b}'", "\"Mixed Case\" = 'x'",
        "(id % 3) ^ 2 = 4", "concat(t, id, b) = 'x1t'", "- -2147483648 = 2147483648", "greatest(d, ts) IS NOT NULL", "CAST(t AS int4) = 3",
        "tm + '1 hour' > '12:00'", "ia || 5 = ARRAY[1,5]", "v IS DISTINCT FROM t", "id IN (1, 2, id, NULL)", "n::float8::numeric = 0.1",
    ]
    static let vocabulary = [
        "id", "t", "n", "ia", "\"Mixed Case\"", "mood", "js", "AND", "OR", "NOT", "IS", "NULL", "TRUE", "IN", "LIKE", "ILIKE", "BETWEEN",
        "SYMMETRIC", "DISTINCT", "FROM", "ANY", "ALL", "ARRAY", "CAST", "AS", "int4", "text[]", "::", "(", ")", "[", "]", ",", "=", "<>",
        "<", ">=", "+", "-", "*", "/", "%", "^", "||", "@>", "<@", "&&", "'x'", "'{1,NULL}'", "''", "1", "-1", "2147483648",
        "99999999999999999999999", "1.5e10", "$1", "$0", "$99999999999", "lower", "coalesce", "now", "'NaN'", "'infinity'", ";", "--",
        "/*", "\"", "'", "é", "😀", "\\", "e", ".", "1e", "$", "$$", "::int2", "::numeric", "::interval", "::date", "::uuid",
    ]

    @Test func randomAndMutatedClausesNeverTrap() {
        let seed = ProcessInfo.processInfo.environment["CONDUIT_FUZZ_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        print("where-clause fuzz seed \(seed) (CONDUIT_FUZZ_SEED)")
        var rng = Generator(state: seed)
        let rows: [[String: String]] = [
            [:],
            ["id": "2147483647", "t": "é%_\\", "n": "NaN", "ia": "{{1,2},{3,4}}", "i2": "-32768", "i8": "-9223372036854775808",
             "f8": "-Infinity", "f4": "NaN", "d": "infinity", "ts": "-infinity", "iv": "P-178000000Y", "tm": "24:00:00", "c": "   "],
            ["id": "garbage", "t": "", "n": "1e-1000", "ia": "{", "u": "nope", "b": "maybe", "tz": "2024-13-45", "ta": "{\"a"],
        ]
        var compiled = 0, rejected = 0
        for round in 0..<24_000 {
            let clause = round % 3 == 0 ? randomClause(&rng) : mutatedClause(&rng)
            do {
                let checked = try WhereClause.compile(clause, columns: testColumns, params: [1: "12", 2: "x"])
                compiled += 1
                for row in rows { _ = try? checked.evaluateTristate(row: row) }
                _ = checked.sql(firstParameterIndex: 3)
                _ = checked.normalized
                _ = checked.indexableConditions
            } catch {
                rejected += 1
                #expect(!error.message.isEmpty)
            }
        }
        print("where-clause fuzz: \(compiled) compiled, \(rejected) rejected, seed \(seed)")
        #expect(compiled + rejected == 24_000)
        #expect(compiled > 500)
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
        #expect(compileError(deep) == "where clause is too long (200001 bytes; the limit is 65536)")
        let unlimited = WhereClauseLimits(maxLength: .max)
        #expect(compileError(deep, limits: unlimited) == "At location 64: expression nesting too deep (the limit is 64)")
        let longChain = (0..<20_000).map { "id = \($0)" }.joined(separator: " OR ")
        #expect(compileError(longChain, limits: WhereClauseLimits(maxLength: .max, maxNodes: .max)) == nil)
        let longSum = "id = " + (0..<5_000).map { _ in "1" }.joined(separator: " + ")
        #expect(compileError(longSum)?.hasSuffix("expression nesting too deep (the limit is 64)") == true)
    }

    func randomClause(_ rng: inout Generator) -> String {
        (0..<Int.random(in: 1...14, using: &rng)).map { _ in Self.vocabulary.randomElement(using: &rng)! }.joined(separator: " ")
    }

    func mutatedClause(_ rng: inout Generator) -> String {
        var scalars = Array(Self.corpus.randomElement(using: &rng)!.unicodeScalars)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let position = Int.random(in: 0...scalars.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0 where position < scalars.count: scalars.remove(at: position)
            case 1: scalars.insert(contentsOf: Self.vocabulary.randomElement(using: &rng)!.unicodeScalars, at: position)
            case 2 where position < scalars.count:
                scalars[position] = "()'\"$:;-+*/%^<>=@&|[],.0123456789aeN \\".unicodeScalars.randomElement(using: &rng)!
            case 3:
                let end = min(scalars.count, position + Int.random(in: 1...6, using: &rng))
                if position < end { scalars.insert(contentsOf: scalars[position..<end], at: position) }
            default:
                scalars.insert(contentsOf: " \(Self.vocabulary.randomElement(using: &rng)!) ".unicodeScalars, at: position)
            }
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}

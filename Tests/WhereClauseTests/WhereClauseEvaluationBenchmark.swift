import Foundation
import Testing
import WhereClause

/// Evaluations per second of `status = 'todo' AND priority > 3` on one core, from row texts as
/// router has them. Runs only with `CONDUIT_BENCH=1` (see `bench/where-eval`); prints, asserts
/// nothing about time.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CONDUIT_BENCH"] == "1"))
struct WhereClauseEvaluationBenchmark {
    @Test func statusAndPriority() throws {
        let columns = [WhereColumn(name: "status", typeName: "text"), WhereColumn(name: "priority", typeName: "int4")]
        let clause = try WhereClause.compile("status = 'todo' AND priority > 3", columns: columns)
        let rows: [[String?]] = (0..<1024).map { index in
            let status = ["todo", "done", "doing"][index % 3]
            let values = ["status": status, "priority": String(index % 7)]
            return clause.referencedColumns.map { values[$0.name] }
        }
        let evaluations = 5_000_000
        var matched = 0
        let elapsed = ContinuousClock().measure {
            for index in 0..<evaluations where clause.evaluate(values: rows[index & 1023]) { matched += 1 }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            String(
                format: "where bench: `status = 'todo' AND priority > 3`: %.2f M evaluations/s on one core (%d matched)",
                Double(evaluations) / seconds / 1e6, matched))
        #expect(matched > 0)
    }

    /// The worst a row can cost within ``WhereClauseLimits/maxRowWork``: clauses that spend the
    /// whole budget on one row in each costly way (`WorkCost`), timed per row until the
    /// evaluation stops with the work-limit error. Each clause starts with `id > 1` so that the
    /// compile-time check on the cheapest row (`id = 1`) lets it through to the rows.
    @Test func rowsThatSpendTheWholeBudget() throws {
        let columns = [
            WhereColumn(name: "id", typeName: "int4"), WhereColumn(name: "n", typeName: "numeric"),
            WhereColumn(name: "t", typeName: "text"), WhereColumn(name: "ia", typeName: "int4", isArray: true),
        ]
        let thousandDigits = "1." + String(repeating: "7", count: 999)
        let cases: [(String, String, [Int: String], [String: String])] = [
            ("divisions by a 1,000-digit parameter", Self.repeated("n / $1 > 0", 60), [1: thousandDigits], ["n": "5"]),
            ("comparisons with a 1e-4000 parameter", Self.repeated("n > $1", 60), [1: "0." + String(repeating: "0", count: 3999) + "1"], ["n": "5"]),
            ("products of 2,000-digit values", Self.repeated("n * $1 > 0", 60), [1: String(repeating: "3", count: 2000)], ["n": String(repeating: "7", count: 2000)]),
            ("LIKE with 90 wildcards on 100 KB", Self.repeated("t LIKE '" + String(repeating: "%a", count: 90) + "%b'", 10), [:], ["t": String(repeating: "a", count: 100_000)]),
            ("containment of 10,000 in 2,000 elements", Self.repeated("ia @> $1::int4[]", 10), [1: "{" + (1...10_000).map(String.init).joined(separator: ",") + "}"], ["ia": "{" + (1...2000).map(String.init).joined(separator: ",") + "}"]),
        ]
        for (name, text, params, row) in cases {
            let clause = try WhereClause.compile("id > 1 AND " + text, columns: columns, params: params)
            let values = clause.referencedColumns.map { ["id": "2"].merging(row) { $1 }[$0.name] }
            var outcome = ""
            let rounds = 5
            let elapsed = ContinuousClock().measure {
                for _ in 0..<rounds {
                    do throws(WhereClauseError) {
                        outcome = "\(try clause.evaluateTristate(values: values) as Any)"
                    } catch {
                        outcome = error.kind == .workLimit ? "work limit" : error.message
                    }
                }
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let milliseconds = seconds * 1000 / Double(rounds)
            print(String(format: "where bench: %@: %.2f ms per row (%@)", name, milliseconds, outcome))
        }
    }

    static func repeated(_ condition: String, _ count: Int) -> String {
        (0..<count).map { _ in condition }.joined(separator: " AND ")
    }
}

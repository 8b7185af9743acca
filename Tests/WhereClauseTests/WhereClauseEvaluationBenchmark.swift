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
}

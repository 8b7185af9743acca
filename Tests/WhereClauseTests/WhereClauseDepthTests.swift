import Foundation
import Testing

@testable import WhereClause

/// Nesting is bounded by ``WhereClauseLimits/maxDepth`` while parsing, so no pass (parser,
/// checker, folder, evaluator, renderer) can run out of stack: hostile clauses 20,000 deep get
/// the named error, and the deepest accepted clause of every shape compiles, evaluates and
/// renders on a 512 KiB thread stack (the router's secondary threads), in a debug build.
struct WhereClauseDepthTests {
    /// Runs `body` on a thread with a 512 KiB stack and waits for it.
    static func onSmallStack<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.stackSize = 512 * 1024
        thread.start()
        done.wait()
        return box.value!
    }

    /// Nested shapes of `levels` levels around a column, one per kind of nesting.
    static let shapes: [(name: String, clause: @Sendable (Int) -> String)] = [
        ("parentheses", { String(repeating: "(", count: $0) + "id = 1" + String(repeating: ")", count: $0) }),
        ("NOT", { String(repeating: "NOT ", count: $0) + "b" }),
        ("unary minus", { "id = " + String(repeating: "- ", count: $0) + "id" }),
        ("additive chain", { "id = id" + String(repeating: " + 1", count: $0) }),
        ("folded chain", { "n = 1.5" + String(repeating: " * 1.5", count: $0) }),
        ("concatenation chain", { "t = t" + String(repeating: " || 'x'", count: $0) }),
        ("cast chain", { "id" + String(repeating: "::int8::int4", count: $0 / 2) + " = 1" }),
        ("function calls", { String(repeating: "lower(", count: $0) + "t" + String(repeating: ")", count: $0) + " = 'x'" }),
        ("coalesce", { String(repeating: "coalesce(", count: $0) + "id" + String(repeating: ", 1)", count: $0) + " = 1" }),
        ("ARRAY", { "ARRAY" + String(repeating: "[", count: $0) + "id" + String(repeating: "]", count: $0) + " IS NULL" }),
        ("BETWEEN", { String(repeating: "id BETWEEN (", count: $0) + "id" + String(repeating: ") AND 5", count: $0) + " IS TRUE" }),
        ("IN", { String(repeating: "id IN (1, ", count: $0) + "id" + String(repeating: ") = b", count: $0) }),
    ]

    @Test(arguments: shapes.indices)
    func hostileNestingIsANamedError(_ index: Int) {
        let (name, clause) = Self.shapes[index]
        let message = Self.onSmallStack { compileError(clause(20_000), limits: WhereClauseLimits(maxLength: 1 << 20)) }
        #expect(message?.hasSuffix("expression nesting too deep (the limit is 64)") == true, "\(name): \(message ?? "compiled")")
    }

    @Test(arguments: shapes.indices)
    func theDeepestAcceptedClauseRunsOnASmallStack(_ index: Int) throws {
        let (name, clause) = Self.shapes[index]
        // The deepest nesting of this shape that compiles (or fails for another reason).
        var levels = 65
        while levels > 1, compileError(clause(levels))?.contains("nesting too deep") == true { levels -= 1 }
        #expect(levels > 15, "\(name) accepts only \(levels) levels")
        let text = clause(levels)
        let rows: [[String: String]] = [[:], ["id": "1", "b": "t", "t": "x", "n": "1.5"]]
        let outcome = Self.onSmallStack { () -> String in
            guard let compiled = try? WhereClause.compile(text, columns: testColumns) else { return "rejected" }
            for row in rows { _ = try? compiled.evaluateTristate(row: row) }
            _ = compiled.sql()
            _ = compiled.normalized
            _ = compiled.indexableConditions
            return "ran"
        }
        #expect(["ran", "rejected"].contains(outcome), "\(name)")
    }

    /// AND/OR chains are flat lists, so long ones need no depth at all — with the breadth
    /// limits raised, 20,000 terms run on a small stack too.
    @Test func longOrChainsAreBreadthNotDepth() {
        let chain = (0..<20_000).map { _ in "id = 1" }.joined(separator: " OR ")
        let raised = WhereClauseLimits(maxLength: 1 << 20, maxNodes: 100_000)
        let outcome = Self.onSmallStack { () -> Bool? in
            guard let compiled = try? WhereClause.compile(chain, columns: testColumns, limits: raised) else { return nil }
            _ = compiled.sql()
            _ = compiled.normalized
            return compiled.evaluate(row: ["id": "1"])
        }
        #expect(outcome == true)
    }

    /// `LIKE` recursion is bounded by the number of `%` in the pattern.
    @Test func likeWithManyWildcardsRunsOnASmallStack() {
        let pattern = String(repeating: "%a", count: 3000) + "%b"
        let subject = String(repeating: "a", count: 3500)
        let outcome = Self.onSmallStack { () -> String in
            do {
                return String(describing: try evaluate("t LIKE '\(pattern)'", ["t": subject]))
            } catch let error as WhereClauseError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(outcome == "Optional(false)" || outcome == "stack depth limit exceeded")
    }
}

/// Carries a result out of a `Thread`; written once before the semaphore is signalled.
final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

import Testing

@testable import WhereClause

/// A compiled clause is an immutable `Sendable` value: the router may evaluate one clause from
/// many tasks at once, and compile clauses (registering enum types) concurrently.
struct WhereClauseConcurrencyTests {
    @Test(.timeLimit(.minutes(1))) func evaluatesFromManyTasks() async throws {
        let clause = try WhereClause.compile("t LIKE 'a%' AND id % 7 = 3 AND mood::text <> 'sad'", columns: testColumns)
        let rows: [[String: String]] = (0..<700).map { ["t": $0 % 2 == 0 ? "abc" : "xyz", "id": String($0), "mood": "ok"] }
        let expected = rows.filter { clause.evaluate(row: $0) }.count
        #expect(expected == 50)
        let counts = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var matched = 0
                    for _ in 0..<20 { matched += rows.filter { clause.evaluate(row: $0) }.count }
                    return matched
                }
            }
            var all: [Int] = []
            for await count in group { all.append(count) }
            return all
        }
        #expect(counts == Array(repeating: expected * 20, count: 8))
    }

    @Test(.timeLimit(.minutes(1))) func compilesConcurrently() async {
        let failures = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var failed = 0
                    for index in 0..<100 {
                        let columns = [WhereColumn(name: "e", typeName: "enum_\(task)_\(index % 10)", isEnum: true)]
                        if (try? WhereClause.compile("e = e AND e::text = 'x'", columns: columns)) == nil { failed += 1 }
                    }
                    return failed
                }
            }
            var total = 0
            for await count in group { total += count }
            return total
        }
        #expect(failures == 0)
        #expect(compileError("mood < mood") == "At location 5: operator does not exist: mood < mood")
    }
}

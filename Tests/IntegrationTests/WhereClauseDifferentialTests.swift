import Foundation
import Testing

@testable import Postgres
@testable import WhereClause

/// Differential test: random typed rows and random well-typed where-expressions, evaluated by
/// PostgreSQL and by Conduit's evaluator; results (true / false / NULL / error) must agree.
/// A quarter of the expressions are of other types and compared as text (`(e)::text`), which
/// checks values exactly (numeric scales, float digits, interval and date formatting).
///
/// - Rows are inserted into a temporary table and read back as text with the session settings
///   Conduit assumes (`TimeZone=UTC`, `DateStyle=ISO`, `IntervalStyle=iso_8601`,
///   `extra_float_digits=1`), which is what pgoutput would send.
/// - Expressions are evaluated in batches (`SELECT id, e1, e2, … FROM rows`). If a batch fails,
///   each of its expressions is re-run through a PL/pgSQL helper that evaluates row by row and
///   turns exceptions into `ERROR`.
/// - Errors: a PostgreSQL error on a row must be a Conduit evaluation error on that row; a
///   Conduit compile error (e.g. a constant `1/0` folded at compile time) must be a PostgreSQL
///   error on every row.
/// - A quarter of the expressions are sent to PostgreSQL as written, a quarter as Conduit's
///   ``WhereClause/normalized`` rendering, a quarter as ``WhereClause/sql(firstParameterIndex:)``
///   with bind parameters (the subset path), and a quarter as
///   ``WhereClause/sql(quotingConstantsWith:)`` with libpq's quoting (the snapshot's COPY),
///   which checks the renderer every way.
///
/// Environment: `PGHOST` (skipped when unset), `PGPORT`, `PGUSER`, `PGDATABASE`;
/// `CONDUIT_DIFF_CASES` (default 100000 row × expression cases), `CONDUIT_DIFF_SEED`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PGHOST"] != nil))
struct WhereClauseDifferentialTests {
    static let rowCount = 200
    static let batchSize = 20

    /// Batches answered by a single statement vs. re-run per expression after an error.
    final class Counters {
        var batches = 0
        var fallbacks = 0
    }

    enum Outcome: Equatable, CustomStringConvertible {
        case value(Bool?)
        case text(String?)
        case error(String)

        var description: String {
            switch self {
            case .value(let b): b.map { String($0) } ?? "NULL"
            case .text(let t): t.map { "'\($0)'" } ?? "NULL"
            case .error(let m): "ERROR(\(m))"
            }
        }

        func agrees(with other: Outcome) -> Bool {
            switch (self, other) {
            case (.value(let a), .value(let b)): a == b
            case (.text(let a), .text(let b)): a == b
            case (.error, .error): true
            default: false
            }
        }
    }

    @Test(.timeLimit(.minutes(5))) func conduitAgreesWithPostgres() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["CONDUIT_DIFF_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        let cases = environment["CONDUIT_DIFF_CASES"].flatMap(Int.init) ?? 100_000
        print("where-clause differential test: seed \(seed) (CONDUIT_DIFF_SEED), \(cases) cases")
        let started = Date()
        let counters = Counters()
        var generator = DiffGenerator(rng: SeededGenerator(seed: seed))
        let connection = try PostgresConnection(conninfo: "")
        try connection.execute(
            "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 1")
        let rows = try createRows(connection, &generator)
        let columns = DiffTable.columns.map(\.column)
        let expressionCount = max(1, cases / rows.count)
        var mismatches: [String] = []
        var mismatchCount = 0
        var checked = 0
        var errorsBoth = 0
        var pending: [(text: String, sent: Sent, clause: Result<WhereClause, WhereClauseError>, isText: Bool)] = []
        func flush() throws {
            let results = try evaluateInPostgres(connection, pending.map { ($0.sent, $0.isText) }, rowCount: rows.count, counters: counters)
            for (index, item) in pending.enumerated() {
                var reported = false
                for (rowIndex, row) in rows.enumerated() {
                    let expected = results[index][rowIndex]
                    let actual: Outcome
                    switch item.clause {
                    case .failure(let error): actual = .error("compile: \(error.message)")
                    case .success(let clause) where item.isText:
                        do {
                            switch try clause.program.value(row: row) {
                            case .text(let text): actual = .text(text)
                            default: actual = .text(nil)
                            }
                        } catch {
                            actual = .error(error.message)
                        }
                    case .success(let clause):
                        do { actual = .value(try clause.evaluateTristate(row: row)) } catch { actual = .error(error.message) }
                    }
                    checked += 1
                    if case .error = expected, case .error = actual { errorsBoth += 1 }
                    if !expected.agrees(with: actual) { mismatchCount += 1 }
                    if !expected.agrees(with: actual), !reported, mismatches.count < 25 {
                        reported = true
                        mismatches.append(
                            "expression: \(item.text)\n  sent: \(item.sent)\n  row: \(row.sorted { $0.key < $1.key })\n  postgres: \(expected)\n  conduit: \(actual)"
                        )
                    }
                }
            }
            pending.removeAll()
        }
        for number in 0..<expressionCount {
            let isText = number % 4 == 3
            var text: String
            let clause: Result<WhereClause, WhereClauseError>
            generator.parameters = []
            if isText {
                let type = generator.pick(DiffGenerator.textRoundTripTypes + ["text", "bpchar"])
                text = "(\(generator.expression(type, depth: generator.int(1...4))))::text"
            } else {
                text = generator.expression("bool", depth: generator.int(1...4))
            }
            let params = Dictionary(uniqueKeysWithValues: generator.parameters.enumerated().map { ($0.offset + 1, $0.element) })
            let source = text
            if isText {
                clause = Result { () throws(WhereClauseError) in try WhereClause.compileExpression(source, columns: columns, params: params)
                }
            } else {
                clause = Result { () throws(WhereClauseError) in try WhereClause.compile(source, columns: columns, params: params) }
            }
            // PostgreSQL gets parameters as the string literals they stand for (last first, so
            // that $1 does not clobber $10).
            for (index, value) in generator.parameters.enumerated().reversed() {
                text = text.replacingOccurrences(of: "$\(index + 1)", with: "'" + value.replacingOccurrences(of: "'", with: "''") + "'")
            }
            var sent = Sent.text(text)
            if case .success(let compiled) = clause {
                // Counted in fours, so that every rendering meets text expressions too.
                switch (number / 4) % 4 {
                case 1: sent = .text(compiled.normalized)
                case 2: sent = .bound(compiled)
                case 3: sent = .text(try compiled.sql(quotingConstantsWith: connection.escapeLiteral))
                default: break
                }
            }
            pending.append((text, sent, clause, isText))
            if pending.count == Self.batchSize { try flush() }
        }
        if !pending.isEmpty { try flush() }
        let seconds = Date().timeIntervalSince(started)
        print(
            "where-clause differential test: \(checked) cases (\(errorsBoth) errors on both sides) in \(String(format: "%.1f", seconds)) s, \(counters.batches) batches (\(counters.fallbacks) re-run per row), seed \(seed)"
        )
        for mismatch in mismatches { print("MISMATCH (seed \(seed))\n\(mismatch)") }
        #expect(mismatchCount == 0, "\(mismatchCount) mismatching cases, seed \(seed)")
        #expect(checked >= min(cases, expressionCount * rows.count))
    }

    /// Creates the temporary table and helper function; returns the rows as PostgreSQL prints them.
    func createRows(_ connection: PostgresConnection, _ generator: inout DiffGenerator) throws -> [[String: String]] {
        let definitions = DiffTable.columns.map { "\($0.name) \($0.sqlType)" }.joined(separator: ", ")
        try connection.execute("DROP TABLE IF EXISTS wc_rows; CREATE TEMP TABLE wc_rows (id int4, \(definitions))")
        var tuples: [String] = []
        for id in 0..<Self.rowCount {
            let values = DiffTable.columns.map { column -> String in
                let kind = column.name == "ta" ? "ascii" : column.sqlType
                guard let value = generator.rowValue(kind) else { return "NULL" }
                return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
            }
            tuples.append("(\(id), \(values.joined(separator: ", ")))")
        }
        try connection.execute("INSERT INTO wc_rows VALUES " + tuples.joined(separator: ", "))
        try connection.execute(
            """
            CREATE OR REPLACE FUNCTION pg_temp.wc_try(expr text) RETURNS TABLE(rid int, res text) LANGUAGE plpgsql AS $$
            DECLARE r record; v text;
            BEGIN
              FOR r IN SELECT id FROM wc_rows ORDER BY id LOOP
                BEGIN
                  EXECUTE format('SELECT (%s)::text FROM wc_rows WHERE id = $1', expr) INTO v USING r.id;
                  rid := r.id; res := CASE WHEN v IS NULL THEN 'N' ELSE 'V' || v END;
                EXCEPTION WHEN others THEN rid := r.id; res := 'E' || SQLERRM;
                END;
                RETURN NEXT;
              END LOOP;
            END $$
            """)
        let names = DiffTable.columns.map(\.name)
        let result = try connection.execute("SELECT \(names.joined(separator: ", ")) FROM wc_rows ORDER BY id")
        return result.rows.map { values in
            var row: [String: String] = [:]
            for (name, value) in zip(names, values) where value != nil { row[name] = value }
            return row
        }
    }

    /// How an expression is sent to PostgreSQL.
    enum Sent: CustomStringConvertible {
        /// SQL text (as written, or Conduit's normalized rendering).
        case text(String)
        /// Conduit's parameterized rendering, with bind values.
        case bound(WhereClause)

        var description: String {
            switch self {
            case .text(let sql): sql
            case .bound(let clause): "\(clause.sql().sql) with \(clause.sql().parameters)"
            }
        }
    }

    /// Results per expression per row: one statement for the whole batch (bind parameters
    /// numbered across expressions); if it fails, one statement per expression; if that fails
    /// too, row by row through `wc_try` (bound expressions then use their inline normalized
    /// form, the same renderer).
    func evaluateInPostgres(_ connection: PostgresConnection, _ expressions: [(Sent, Bool)], rowCount: Int, counters: Counters) throws
        -> [[Outcome]]
    {
        counters.batches += 1
        var parameters: [String?] = []
        // Boolean expressions go through ::boolean first, so that a bare literal such as 'no'
        // is read as the boolean the where clause makes of it.
        func wrap(_ sql: String, _ isText: Bool) -> String { isText ? "(\(sql))::text" : "((\(sql))::boolean)::text" }
        let select = expressions.map { sent, isText -> String in
            switch sent {
            case .text(let sql): return wrap(sql, isText)
            case .bound(let clause):
                let rendered = clause.sql(firstParameterIndex: parameters.count + 1)
                parameters += rendered.parameters
                return wrap(rendered.sql, isText)
            }
        }.joined(separator: ", ")
        if let result = try? connection.execute("SELECT \(select) FROM wc_rows ORDER BY id", parameters: parameters),
            result.rows.count == rowCount
        {
            return expressions.indices.map { column in
                result.rows.map { Self.outcome($0[column].map { "V" + $0 } ?? "N", isText: expressions[column].1) }
            }
        }
        if expressions.count > 1 {
            var results: [[Outcome]] = []
            for expression in expressions {
                results += try evaluateInPostgres(connection, [expression], rowCount: rowCount, counters: counters)
            }
            return results
        }
        counters.fallbacks += 1
        return try expressions.map { sent, isText in
            var sql: String
            switch sent {
            case .text(let text): sql = text
            case .bound(let clause): sql = clause.normalized
            }
            if !isText { sql = "(\(sql))::boolean" }
            let result = try connection.execute("SELECT res FROM pg_temp.wc_try($1) ORDER BY rid", parameters: [sql])
            return result.rows.map { Self.outcome($0[0] ?? "N", isText: isText) }
        }
    }

    /// Decodes `N` (NULL), `V<text>` (a value as text) or `E<message>` (an error).
    static func outcome(_ encoded: String, isText: Bool) -> Outcome {
        if encoded.hasPrefix("E") { return .error(String(encoded.dropFirst())) }
        let text: String? = encoded.hasPrefix("V") ? String(encoded.dropFirst()) : nil
        if isText { return .text(text) }
        switch text {
        case nil: return .value(nil)
        case "true": return .value(true)
        case "false": return .value(false)
        case let other?: return .error("unexpected boolean text \(other)")
        }
    }
}

import ConduitCore
import Foundation
import Postgres
import Testing
import WhereClause

@testable import Router

/// The rows the pre-COPY snapshot rendered: single-row mode, values read in place.
extension PostgresRow: SnapshotRowValues {}

/// Differential test of the initial snapshot's `COPY (SELECT …) TO STDOUT`
/// (``SnapshotSession/renderRows(_:)``) against the `SELECT` with bind parameters it replaced
/// (``PostgresConnection/queryRows(_:parameters:onRow:)``), on a real PostgreSQL: the same rows
/// must render to the same bytes, and a failing filter must fail the same way.
///
/// Each test makes a schema of its own on the server `scripts/test` starts (`PGHOST`…) and drops it.
@Suite(
    .enabled(if: ProcessInfo.processInfo.environment["PGHOST"] != nil, "needs PostgreSQL: run through scripts/test"),
    .timeLimit(.minutes(2)))
struct SnapshotCopyTests {
    static let timeouts = DatabaseTimeouts(
        connectSeconds: 5, statementMilliseconds: 10_000, lockMilliseconds: 5_000, openTransactionWaitSeconds: 5)
    static let table = "Odd \"table\" ü"

    /// Values PostgreSQL prints awkwardly: NULLs and empty strings, quotes, backslashes (also
    /// the text `\N`), newlines, tabs, carriage returns, control characters, multibyte text,
    /// arrays with quoted and NULL elements, json, numeric, floats, timestamps, intervals, bytea,
    /// an enum, padded char; plus a generated column (not selected) and a thousand plain rows.
    static let setup = """
        CREATE TYPE mood AS ENUM ('ok', 'sad''s');
        CREATE TABLE "Odd ""table"" ü" (
          id int PRIMARY KEY, "we""ird col" text, t text, arr text[], iarr int[], j json, jb jsonb,
          n numeric, f8 float8, f4 float4, ts timestamptz, tsn timestamp, d date, iv interval,
          b bytea, flag bool, u uuid, c char(5), m mood, g int GENERATED ALWAYS AS (id * 2) STORED);
        INSERT INTO "Odd ""table"" ü" (id) VALUES (1);
        INSERT INTO "Odd ""table"" ü" (id, "we""ird col", t, arr, iarr, j, jb, n, f8, f4, ts, tsn, d, iv, b, flag, u, c, m) VALUES
          (2, '', '', '{}', '{}', '{}', '{}', 0, 0, 0, '2024-01-01', '2024-01-01', '2024-01-01', '0', '', false,
           '00000000-0000-0000-0000-000000000000', '', 'ok'),
          (3, E'it''s \\t', E'quote '' double " back \\\\ slash', ARRAY['a"b', E'c\\\\d', NULL, 'e,f', '', 'NULL'],
           '{{1,2},{3,NULL}}', '{"a": "x\\"y\\\\z", "n": [1, 2.50]}', '{"a": "x\\"y\\\\z", "n": [1, 2.50]}',
           12345678901234567890.000100, 0.1, 'NaN', '2024-02-29 12:34:56.789+05:30', 'infinity', '4713-01-01 BC',
           '1 year 2 mons 3 days 04:05:06.7', '\\x00ff5c0a09', true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'ab', 'sad''s'),
          (4, E'tab\\there', E'line1\\nline2\\r\\n\\ttabbed\\\\N', ARRAY[E'new\\nline', E'tab\\tbed'], NULL,
           '"é 日本 😀"', '["\\u00e9", "\\\\", "\\n"]', -0.0000001, 1e300, '-Infinity', '-infinity', '2000-01-01 00:00:00.000001',
           '2000-02-29', '-1 days -00:00:01', '\\x5c4e', NULL, NULL, 'abcde', NULL),
          (5, E'%''%', E'\\\\N', NULL, NULL, 'null', 'null', 'NaN', '-Infinity', 3.4e38, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
          (6, E'\\u0001\\u007f\\b\\f\\v', E'\\\\', ARRAY[E'\\\\'], NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL);
        INSERT INTO "Odd ""table"" ü" (id, "we""ird col", t, n, ts)
          SELECT g, 'row ' || g, md5(g::text) || E'\\t' || g, g / 7.0, '2026-01-01'::timestamptz + g * interval '1 second'
          FROM generate_series(100, 1099) g;
        """

    @Test func copyRendersExactlyWhatTheSelectRendered() throws {
        try Self.withSchema { schema in
            let resolved = try Self.resolve(ShapeDefinition(schema: schema, table: Self.table))
            #expect(!resolved.columns.contains("g"), "a generated column is not part of a shape")
            let copied = try Self.copyRendering(resolved)
            let selected = try Self.selectRendering(resolved)
            #expect(copied.count == 1006)
            Self.expectSameRows(copied, selected)
            // The awkward rows are there as PostgreSQL prints them (JSON-escaped), not merely equal.
            let three = try #require(copied.map { String(decoding: $0, as: UTF8.self) }.first { $0.contains(#""id":"3""#) })
            #expect(three.contains(#""t":"quote ' double \" back \\ slash""#))
            #expect(three.contains(#""b":"\\x00ff5c0a09""#))
            #expect(three.contains(#""arr":"{\"a\\\"b\",\"c\\\\d\",NULL,\"e,f\",\"\",\"NULL\"}""#))
        }
    }

    /// The filter's values become literals quoted by libpq: quotes and backslashes select exactly
    /// the rows the bound parameters selected. Row 3 only through `$1` (quote, double quote,
    /// backslash), 4 through the clause's own literal and `$5`, 5 through `$2` (the text `\N`)
    /// and `$3` (a LIKE escape), 6 through `$4` (an array of one backslash).
    @Test func filterValuesWithQuotesAndBackslashesSelectTheSameRows() throws {
        try Self.withSchema { schema in
            let definition = ShapeDefinition(
                schema: schema, table: Self.table,
                whereClause: #"t = $1 OR t = $2 OR "we""ird col" LIKE $3 OR arr @> $4 OR (t LIKE 'line1%' AND id < $5)"#,
                params: [1: #"quote ' double " back \ slash"#, 2: #"\N"#, 3: #"%\%%"#, 4: #"{"\\"}"#, 5: "5"])
            let resolved = try Self.resolve(definition)
            let copied = try Self.copyRendering(resolved)
            Self.expectSameRows(copied, try Self.selectRendering(resolved))
            let ids = try copied.map { json in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
                return try #require((object["value"] as? [String: Any])?["id"] as? String)
            }
            #expect(Set(ids) == ["3", "4", "5", "6"])
        }
    }

    /// A filter that fails on the table's rows (a data exception) fails the COPY with the
    /// SQLSTATE and message the SELECT failed with: the client gets the same 400.
    @Test func aDataExceptionFailsTheSameWay() throws {
        try Self.withSchema { schema in
            let resolved = try Self.resolve(
                ShapeDefinition(schema: schema, table: Self.table, whereClause: "t::int4 > $1", params: [1: "0"]))
            let copyError = #expect(throws: PostgresError.self) { try Self.copyRendering(resolved) }
            let selectError = #expect(throws: PostgresError.self) { try Self.selectRendering(resolved) }
            #expect(copyError?.sqlState == "22P02")
            #expect(copyError?.sqlState == selectError?.sqlState)
            #expect(copyError?.message == selectError?.message)
        }
    }

    /// libpq's quoting would stop at a NUL byte and quote a shorter value; the quoting refuses it
    /// with PostgreSQL's own error for such text, and a definition holding one is refused before
    /// that, when its clause is compiled (a 400 like PostgreSQL's).
    @Test func aNulByteInAValueIsRefused() throws {
        let error = #expect(throws: PostgresError.self) { try PostgresConnection(conninfo: "").escapeLiteral("a\u{0}b") }
        #expect(error?.sqlState == "22021")
        try Self.withSchema { schema in
            let rejection = #expect(throws: ShapeRejection.self) {
                try Self.resolve(ShapeDefinition(schema: schema, table: Self.table, whereClause: "t = $1", params: [1: "a\u{0}b"]))
            }
            #expect(rejection == .invalid(field: "where", message: "invalid byte sequence for encoding \"UTF8\": 0x00"))
        }
    }

    // MARK: - Support

    /// Runs `body` with a new schema holding ``setup``'s table, dropped afterwards.
    static func withSchema(_ body: (String) throws -> Void) throws {
        let schema = "copy_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let connection = try PostgresConnection(conninfo: "")
        try connection.execute("SET client_min_messages = warning; CREATE SCHEMA \(schema); SET search_path = \(schema); " + setup)
        defer { _ = try? connection.execute("DROP SCHEMA \(schema) CASCADE") }
        try body(schema)
    }

    /// The definition resolved as router resolves it (catalog, columns, compiled filter).
    static func resolve(_ definition: ShapeDefinition) throws -> ResolvedShape {
        let resolver = ShapeResolver(databaseURL: "", timeouts: timeouts, limits: .default)
        return try resolver.resolve(definition).get()
    }

    /// The same rows, in any order (neither query orders them); only rows that differ are shown.
    static func expectSameRows(_ copied: [[UInt8]], _ selected: [[UInt8]], sourceLocation: SourceLocation = #_sourceLocation) {
        let difference = Set(copied).symmetricDifference(selected).map { String(decoding: $0, as: UTF8.self) }
        #expect(copied.count == selected.count, sourceLocation: sourceLocation)
        #expect(difference.isEmpty, "rows rendered by only one path: \(difference.sorted().prefix(4))", sourceLocation: sourceLocation)
    }

    /// The rows as the snapshot renders them now: a snapshot worker's session, COPY.
    static func copyRendering(_ resolved: ResolvedShape) throws -> [[UInt8]] {
        let session = try SnapshotWorker(databaseURL: "", timeouts: timeouts).session(for: resolved)
        var rows: [[UInt8]] = []
        try session.renderRows { rows.append($0) }
        return rows
    }

    /// The rows as the snapshot rendered them before COPY: `SELECT … WHERE <filter with $n>`
    /// in single-row mode, with the snapshot connection's session settings.
    static func selectRendering(_ resolved: ResolvedShape) throws -> [[UInt8]] {
        let connection = try PostgresConnection.open("", timeouts: timeouts)
        try connection.execute(SnapshotSession.settings)
        let table = resolved.table
        var sql = SnapshotRowRenderer.select(schema: table.schema, table: table.name, columns: resolved.columns)
        var parameters: [String?] = []
        if let filter = resolved.filter {
            sql += " WHERE " + filter.sql.sql
            parameters = filter.sql.parameters
        }
        let renderer = SnapshotRowRenderer(schema: table.schema, table: table.name, columns: resolved.columns, primaryKey: table.primaryKey)
        var rows: [[UInt8]] = []
        var json = JSONWriter()
        try connection.queryRows(sql, parameters: parameters) { row in
            json.bytes.removeAll(keepingCapacity: true)
            renderer.render(row, into: &json)
            rows.append(json.bytes)
        }
        return rows
    }
}

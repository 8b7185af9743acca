import ConduitCore
import Foundation
import Postgres
import Testing

@testable import Router

/// The catalog query router runs for every new shape is prepared once per connection
/// (``PostgresConnection/execute(prepared:_:parameters:)``): a kept resolver must still see the
/// table as it is now — a column added or dropped, a table gone or created — never as it was
/// when the statement was prepared.
@Suite(
    .enabled(if: ProcessInfo.processInfo.environment["PGHOST"] != nil, "needs PostgreSQL: run through scripts/test"),
    .timeLimit(.minutes(2)))
struct TableSchemaCatalogTests {
    @Test func aKeptResolverSeesTheCatalogAsItIsNow() throws {
        let schema = "catalog_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let admin = try PostgresConnection(conninfo: "")
        try admin.execute("SET client_min_messages = warning; CREATE SCHEMA \(schema); CREATE TABLE \(schema).t (id int PRIMARY KEY, a text)")
        defer { _ = try? admin.execute("DROP SCHEMA \(schema) CASCADE") }
        let resolver = ShapeResolver(databaseURL: "", timeouts: SnapshotCopyTests.timeouts, limits: .default)
        func columns(_ table: String = "t") throws -> [String] {
            try resolver.resolve(ShapeDefinition(schema: schema, table: table)).get().columns
        }
        // More calls than PostgreSQL's five custom plans before it may switch to a generic one.
        for _ in 0..<8 { #expect(try columns() == ["id", "a"]) }
        try admin.execute("ALTER TABLE \(schema).t ADD COLUMN b int")
        #expect(try columns() == ["id", "a", "b"])
        try admin.execute("ALTER TABLE \(schema).t DROP COLUMN a")
        #expect(try columns() == ["id", "b"])
        #expect(throws: ShapeRejection.self) { try columns("later") }
        try admin.execute("CREATE TABLE \(schema).later (k text PRIMARY KEY)")
        #expect(try columns("later") == ["k"])
        try admin.execute("DROP TABLE \(schema).t")
        #expect(throws: ShapeRejection.self) { try columns() }
    }

    /// Prepared once, then executed with each call's own parameters (NULL included).
    @Test func aPreparedStatementRunsItsParameters() throws {
        let connection = try PostgresConnection(conninfo: "")
        for value in ["1", "22", "333"] {
            let result = try connection.execute(prepared: "length_of", "SELECT length($1::text)::text", parameters: [value])
            #expect(result.rows.first?.first == String(value.count))
        }
        let missing = try connection.execute(prepared: "length_of", "SELECT length($1::text)::text", parameters: [nil])
        #expect(missing.rows.first?.first == .some(nil))
    }
}

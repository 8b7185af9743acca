import Logging
import ConduitCore
import Postgres

/// Why a shape request cannot be served.
enum ShapeRequestError: Error {
    /// The definition is wrong (HTTP 400); `field` names the request parameter.
    case invalid(field: String?, message: String)
    /// The database cannot be reached or refused set-up (HTTP 503).
    case unavailable(String)
}

/// A definition checked against the catalog: the table, the selected columns, the compiled
/// where clause, and the identity string that makes equal definitions share one shape.
struct ResolvedShape {
    var definition: ShapeDefinition
    var table: TableSchema
    var columns: [String]
    var filter: CompiledFilter?

    /// Equal identities ⇔ the same shape (protocol.md §7.3).
    var identity: String {
        let columnPart = definition.columns == nil ? "*" : columns.sorted().joined(separator: ",")
        return [
            String(table.relationID), table.schema, table.name, columnPart, definition.replica.rawValue,
            filter?.normalized ?? "",
        ].joined(separator: "\u{1F}")
    }

    func metadata(handle: String) -> ShapeMetadata {
        ShapeMetadata(
            handle: handle,
            definition: definition,
            relationID: table.relationID,
            primaryKey: table.primaryKey,
            columns: columns,
            schemaHeader: table.schemaHeader(selected: columns),
            normalizedWhere: filter?.normalized
        )
    }
}

/// Resolves shape definitions against the catalog and prepares tables for replication.
///
/// Owns one ordinary connection (re-opened after failures). Used only from router's main loop.
final class ShapeResolver {
    private let databaseURL: String
    private let publication: String
    private let logger: Logger
    private var connection: PostgresConnection?

    init(databaseURL: String, publication: String, logger: Logger) {
        self.databaseURL = databaseURL
        self.publication = publication
        self.logger = logger
    }

    func resolve(_ definition: ShapeDefinition) throws(ShapeRequestError) -> ResolvedShape {
        let table: TableSchema
        do {
            guard let found = try TableSchema.load(schema: definition.schema, table: definition.table, connection: try open())
            else {
                throw ShapeRequestError.invalid(
                    field: "table",
                    message: "Table \"\(definition.schema)\".\"\(definition.table)\" does not exist. "
                        + "If the table name contains capitals or special characters you must quote it."
                )
            }
            table = found
        } catch let error as ShapeRequestError {
            throw error
        } catch {
            connection = nil
            throw .unavailable("Cannot connect to the database to verify the shape. Please try again later.")
        }
        let columns = try selectColumns(definition, table: table)
        let filter = try CompiledFilter.compile(definition, table: table)
        return ResolvedShape(definition: definition, table: table, columns: columns, filter: filter)
    }

    private func selectColumns(_ definition: ShapeDefinition, table: TableSchema) throws(ShapeRequestError) -> [String] {
        guard let requested = definition.columns else {
            return table.columns.filter { !$0.generated }.map(\.name)
        }
        let names = Set(table.columns.map(\.name))
        let unknown = requested.filter { !names.contains($0) }
        if !unknown.isEmpty {
            throw .invalid(
                field: "columns",
                message: "The following columns are not found on the table: \(unknown.joined(separator: ", "))")
        }
        let generated = table.columns.filter { $0.generated && requested.contains($0.name) }.map(\.name)
        if !generated.isEmpty {
            throw .invalid(
                field: "columns",
                message: "The following columns are generated and cannot be included in the shape: "
                    + generated.joined(separator: ", "))
        }
        let missing = table.primaryKey.filter { !requested.contains($0) }
        if !missing.isEmpty {
            throw .invalid(
                field: "columns",
                message: "The list of columns must include all primary key columns, missing: "
                    + missing.joined(separator: ", "))
        }
        return table.columns.map(\.name).filter { requested.contains($0) }
    }

    /// Puts the table in the publication with REPLICA IDENTITY FULL (so updates and deletes
    /// carry the old row), then waits until every transaction that was running meanwhile has
    /// ended: those may have written to the table before it was published, and only a snapshot
    /// taken after they end is sure to contain their rows.
    func prepare(_ table: TableSchema) throws(ShapeRequestError) {
        do {
            let connection = try open()
            let name = PostgresConnection.quoteIdentifier(table.schema) + "." + PostgresConnection.quoteIdentifier(table.name)
            let published = try connection.execute(
                "SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid WHERE p.pubname = $1 AND pr.prrelid = $2",
                parameters: [publication, String(table.relationID)]
            )
            guard !table.replicaIdentityFull || published.rows.isEmpty else { return }
            try connection.execute("SET lock_timeout = '10s'")
            if !table.replicaIdentityFull {
                try connection.execute("ALTER TABLE \(name) REPLICA IDENTITY FULL")
            }
            if published.rows.isEmpty {
                try connection.execute("ALTER PUBLICATION \(PostgresConnection.quoteIdentifier(publication)) ADD TABLE \(name)")
            }
            logger.info("Table prepared for replication", metadata: ["pg.table": "\(name)", "pg.publication": "\(publication)"])
            let horizon = try connection.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text").rows[0][0] ?? "0"
            for _ in 0..<600 {
                let xmin = try connection.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").rows[0][0] ?? "0"
                if (UInt64(xmin) ?? 0) >= (UInt64(horizon) ?? 0) { return }
                usleep(50_000)
            }
            throw ShapeRequestError.unavailable("Timed out waiting for open transactions before the snapshot")
        } catch let error as ShapeRequestError {
            throw error
        } catch let error as PostgresError {
            connection = nil
            if error.sqlState == "55P03" { throw .unavailable("Snapshot timed out while waiting for a table lock") }
            throw .unavailable("Unable to prepare the table for replication: \(error.message)")
        } catch {
            throw .unavailable("Unable to prepare the table for replication: \(error)")
        }
    }

    /// The current `(schema, name)` of each of `relationIDs` that still exists.
    func currentNames(of relationIDs: [UInt32]) throws -> [UInt32: (schema: String, name: String)] {
        do {
            let list = "{" + relationIDs.map(String.init).joined(separator: ",") + "}"
            let result = try open().execute(
                """
                SELECT c.oid::text, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.oid = ANY($1::oid[])
                """,
                parameters: [list]
            )
            var names: [UInt32: (schema: String, name: String)] = [:]
            for row in result.rows {
                if let oid = row[0].flatMap({ UInt32($0) }) { names[oid] = (row[1] ?? "", row[2] ?? "") }
            }
            return names
        } catch {
            connection = nil
            throw error
        }
    }

    private func open() throws(PostgresError) -> PostgresConnection {
        if let connection { return connection }
        let opened = try PostgresConnection(conninfo: databaseURL)
        connection = opened
        return opened
    }
}

#if canImport(Glibc)
import Glibc
#endif

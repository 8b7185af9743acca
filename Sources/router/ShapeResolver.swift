import ConduitCore
import Logging
import Postgres
import WhereClause

/// A definition checked against the catalog: the table, the selected columns, the compiled
/// where clause, and the identity string that makes equal definitions share one shape.
struct ResolvedShape: Sendable {
    let definition: ShapeDefinition
    let table: TableSchema
    let columns: [String]
    let filter: CompiledFilter?
    /// The where clause's canonical text (``WhereClause/normalized``), rendered once: the loop
    /// reads it several times per new shape.
    let normalizedWhere: String?
    /// Equal identities ⇔ the same shape (protocol.md §7.3).
    let identity: String

    init(definition: ShapeDefinition, table: TableSchema, columns: [String], filter: CompiledFilter?) {
        self.definition = definition
        self.table = table
        self.columns = columns
        self.filter = filter
        let normalizedWhere = filter?.normalized
        self.normalizedWhere = normalizedWhere
        let columnPart = definition.columns == nil ? "*" : columns.sorted().joined(separator: ",")
        self.identity =
            [
                String(table.relationID), table.schema, table.name, columnPart, definition.replica.rawValue,
                normalizedWhere ?? "",
            ].joined(separator: "\u{1F}")
            // Only changes_only shapes carry the log mode, so the identities of shapes created
            // before it existed (stored in router's record of the shape) stay what they were.
            + (definition.log == .full ? "" : "\u{1F}log=" + definition.log.rawValue)
    }

    func metadata(handle: String) -> ShapeMetadata {
        ShapeMetadata(
            handle: handle,
            definition: definition,
            relationID: table.relationID,
            primaryKey: table.primaryKey,
            columns: columns,
            schemaHeader: table.schemaHeader(selected: columns),
            normalizedWhere: normalizedWhere
        )
    }
}

/// Resolves shape definitions against the catalog: a catalog worker's context.
///
/// Owns one ordinary connection (re-opened after failures, with router's connect and statement
/// timeouts), used only by the worker thread that created it.
final class ShapeResolver {
    private let databaseURL: String
    private let timeouts: DatabaseTimeouts
    let limits: WhereClauseLimits
    var connection: PostgresConnection?

    init(databaseURL: String, timeouts: DatabaseTimeouts, limits: WhereClauseLimits) {
        self.databaseURL = databaseURL
        self.timeouts = timeouts
        self.limits = limits
    }

    func resolve(_ definition: ShapeDefinition) -> Result<ResolvedShape, ShapeRejection> {
        do throws(ShapeRejection) {
            return .success(try resolveThrowing(definition))
        } catch {
            return .failure(error)
        }
    }

    private func resolveThrowing(_ definition: ShapeDefinition) throws(ShapeRejection) -> ResolvedShape {
        let table: TableSchema
        do {
            guard let found = try TableSchema.load(schema: definition.schema, table: definition.table, connection: try open())
            else {
                throw ShapeRejection.invalid(
                    field: "table",
                    message: "Table \"\(definition.schema)\".\"\(definition.table)\" does not exist. "
                        + "If the table name contains capitals or special characters you must quote it."
                )
            }
            table = found
        } catch let error as ShapeRejection {
            throw error
        } catch {
            connection = nil
            throw .unavailable(message: "Cannot connect to the database to verify the shape. Please try again later.", retryAfterSeconds: 2)
        }
        let columns = try selectColumns(definition, table: table)
        let filter = try CompiledFilter.compile(definition, columns: table.whereColumns, limits: limits)
        return ResolvedShape(definition: definition, table: table, columns: columns, filter: filter)
    }

    private func selectColumns(_ definition: ShapeDefinition, table: TableSchema) throws(ShapeRejection) -> [String] {
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

    /// The current name of each of `relationIDs` that still exists.
    func currentNames(of relationIDs: [UInt32]) throws -> [UInt32: TableName] {
        do {
            let list = "{" + relationIDs.map(String.init).joined(separator: ",") + "}"
            let result = try open().execute(
                """
                SELECT c.oid::text, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.oid = ANY($1::oid[])
                """,
                parameters: [list]
            )
            var names: [UInt32: TableName] = [:]
            for row in result.rows {
                if let oid = row[0].flatMap({ UInt32($0) }) { names[oid] = TableName(schema: row[1] ?? "", name: row[2] ?? "") }
            }
            return names
        } catch {
            connection = nil
            throw error
        }
    }

    func open() throws(PostgresError) -> PostgresConnection {
        if let connection { return connection }
        let opened = try PostgresConnection.open(databaseURL, timeouts: timeouts)
        connection = opened
        return opened
    }
}

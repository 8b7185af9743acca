import Shared

/// A shape's where clause compiled against its table: evaluated by router on every row of the
/// table, rendered to SQL (all values bound) for the snapshot, and normalized for identity.
struct CompiledFilter {
    var normalized: String
    var sql: (sql: String, parameters: [String?])
    var rowFilter: RowFilter

    static func compile(_ definition: ShapeDefinition, table: TableSchema) throws(ShapeRequestError) -> CompiledFilter? {
        guard let text = definition.whereClause else { return nil }
        _ = text
        throw .invalid(field: "where", message: "where clauses are not supported by this build")
    }
}

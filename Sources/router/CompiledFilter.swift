import ConduitCore
import WhereClause

/// A shape's where clause compiled against its table: evaluated by router on every candidate
/// row, rendered to SQL for the snapshot (every value a quoted literal: COPY takes no bind
/// parameters) and for subsets (every value a bind parameter), normalized for identity, and mined
/// for the conditions router indexes shapes by.
struct CompiledFilter: Sendable {
    var clause: WhereClause

    var normalized: String { clause.normalized }
    var sql: (sql: String, parameters: [String?]) { clause.sql() }
    /// The clause with every value a literal `quote` made (``PostgresConnection/escapeLiteral(_:)``).
    func sql<Failure: Error>(quotingConstantsWith quote: (String) throws(Failure) -> String) throws(Failure) -> String {
        try clause.sql(quotingConstantsWith: quote)
    }
    var indexable: [IndexableCondition] { clause.indexableConditions }

    var rowFilter: RowFilter {
        let clause = self.clause
        let evaluate: @Sendable ([String?]) throws(WhereClauseError) -> Bool = { values throws(WhereClauseError) in
            try clause.includes(values: values)
        }
        switch clause.exactCondition {
        case .equals(let column, let value):
            return RowFilter(columns: [column], evaluate: evaluate, exactTexts: ExactTexts([Array(value.utf8)]))
        case .oneOf(let column, let values):
            return RowFilter(columns: [column], evaluate: evaluate, exactTexts: ExactTexts(values.map { Array($0.utf8) }))
        case .arrayContains, nil:
            return RowFilter(columns: clause.referencedColumns.map(\.name), evaluate: evaluate)
        }
    }

    /// Compiles the definition's where clause against the table's columns; nil without one.
    ///
    /// The same call rebuilds a shape's filter at start-up from the columns stored with the shape,
    /// so a shape means the same thing before and after a restart, with or without the database.
    static func compile(
        _ definition: ShapeDefinition, columns: [WhereColumn], limits: WhereClauseLimits
    ) throws(ShapeRejection) -> CompiledFilter? {
        guard let text = definition.whereClause else { return nil }
        do {
            return CompiledFilter(clause: try WhereClause.compile(text, columns: columns, params: definition.params, limits: limits))
        } catch {
            throw .invalid(field: "where", message: error.message)
        }
    }
}

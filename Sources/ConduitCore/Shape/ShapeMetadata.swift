/// What router records about a shape when it creates it, in the shape's document: the first frame
/// of `shapes/<handle>/changes.log` (``ChangeLogDocument``; `shape.json` for shapes of earlier
/// releases), written before the handle is announced and never changed afterwards.
///
/// serve reads it to answer requests without asking router: the definition (to check that a
/// request's parameters match its handle), the `electric-schema` header value, and the layout.
public struct ShapeMetadata: Codable, Hashable, Sendable {
    /// Format version of the document.
    public var version: Int = 1
    public var handle: String
    public var definition: ShapeDefinition
    /// The table's OID when the shape was created.
    public var relationID: UInt32
    /// Primary-key columns in key order (all columns for a table without a primary key).
    public var primaryKey: [String]
    /// Selected columns in table order.
    public var columns: [String]
    /// The `electric-schema` header value (JSON object text) for the selected columns.
    public var schemaHeader: String
    /// Normalized where clause (identity), nil when none.
    public var normalizedWhere: String?
    /// The shape's record in the storage's ``ShapeStateTable`` (`shapes/.states`), which holds its
    /// committed change-log state; nil for a shape created before the table, whose state is in
    /// its folder's `changes.state`.
    public var stateRecord: Int?

    public init(
        handle: String,
        definition: ShapeDefinition,
        relationID: UInt32,
        primaryKey: [String],
        columns: [String],
        schemaHeader: String,
        normalizedWhere: String?,
        stateRecord: Int? = nil
    ) {
        self.handle = handle
        self.definition = definition
        self.relationID = relationID
        self.primaryKey = primaryKey
        self.columns = columns
        self.schemaHeader = schemaHeader
        self.normalizedWhere = normalizedWhere
        self.stateRecord = stateRecord
    }

    /// Where the shape's committed change-log state is, in the storage at `layout`: nil when it
    /// is in the folder's `changes.state`.
    public func stateLocation(in layout: StorageLayout) -> ShapeStateLocation? {
        stateRecord.map { ShapeStateLocation(table: layout.shapeStates, record: $0, handle: handle) }
    }
}

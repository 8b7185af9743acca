/// A column of the shape's table as the where clause sees it.
///
/// `typeName` is the `pg_type.typname` of the element type (`int4`, `text`, `varchar`,
/// `bpchar`, `timestamptz`, …, or an enum's name); `isArray` marks array columns
/// (`int4[]` has `typeName: "int4", isArray: true`). Columns of other types (jsonb, bytea,
/// …) may be listed; referencing them in a where clause fails with `unsupported type`.
public struct WhereColumn: Sendable, Hashable {
    public var name: String
    public var typeName: String
    public var isArray: Bool
    public var isEnum: Bool

    public init(name: String, typeName: String, isArray: Bool = false, isEnum: Bool = false) {
        self.name = name
        self.typeName = typeName
        self.isArray = isArray
        self.isEnum = isEnum
    }
}

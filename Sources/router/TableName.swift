/// A table's schema and name as the catalog has them now.
struct TableName: Sendable, Hashable {
    var schema: String
    var name: String
}

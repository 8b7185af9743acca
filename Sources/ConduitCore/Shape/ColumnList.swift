/// The `columns` parameter (protocol.md §3.1): identifiers separated by commas outside double
/// quotes, each parsed like a table identifier (`Foo` ⇒ `foo`, `"Foo"` ⇒ `Foo`,
/// `"has,comma"`, `"has""quote"`). The TypeScript client always sends them quoted.
public enum ColumnList {
    /// Parses the list into column names, sorted and without duplicates: the order of `columns`
    /// does not change a shape's identity (Electric sorts them too), so equal shapes get equal
    /// ``ShapeDefinition``s.
    /// - Throws: ``IdentifierError`` with the message to report under `columns`.
    public static func parse(_ text: String) throws(IdentifierError) -> [String] {
        var names = Set<String>()
        for part in Identifier.split(text, on: UInt8(ascii: ",")) {
            names.insert(try Identifier.parse(part))
        }
        return names.sorted()
    }
}

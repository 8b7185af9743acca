import Synchronization

/// An interned enum type name.
///
/// ``SQLType`` is copied constantly on the evaluation hot path; holding the enum's name as a
/// `String` would make every copy retain and release. Interning keeps ``SQLType`` a trivial
/// value. The table only grows with distinct enum type names of the database schema.
struct EnumTypeID: Hashable, Sendable {
    let index: UInt32

    private static let registry = Mutex<(ids: [String: UInt32], names: [String])>(([:], []))

    /// The ID for `name`, registering it on first use.
    static func named(_ name: String) -> EnumTypeID {
        registry.withLock { table in
            if let index = table.ids[name] { return EnumTypeID(index: index) }
            let index = UInt32(table.names.count)
            table.names.append(name)
            table.ids[name] = index
            return EnumTypeID(index: index)
        }
    }

    /// The type name as registered.
    var name: String {
        Self.registry.withLock { table in Int(index) < table.names.count ? table.names[Int(index)] : "" }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// The texts a shape's exact condition admits (``RowFilter/exactTexts``), compared byte for byte
/// with the text a row has in the condition's column.
///
/// Routing to 10,000 `owner_id = $1` shapes checks each row against its candidate shape's text,
/// and that shape's state is cold: an array of arrays meant two more objects to read per row,
/// compared through the generic `elementsEqual` (together a twentieth of router's routing loop
/// in a profile). One text of at most 16 bytes, the usual `column = $1`, is kept inline instead,
/// in the shape's filter itself.
struct ExactTexts: Sendable, Equatable {
    /// Every admitted text.
    let all: [[UInt8]]
    /// `all`'s only text when it has at most 16 bytes (``Packed``).
    private let single: Packed?

    init(_ texts: [[UInt8]]) {
        all = texts
        single = texts.count == 1 ? Packed(texts[0]) : nil
    }

    /// Whether `bytes` is one of the texts.
    func contains(_ bytes: ArraySlice<UInt8>) -> Bool {
        if let single { return Packed(bytes) == single }
        return all.contains { Self.equal($0, bytes) }
    }

    /// Up to 16 bytes and their count in three words.
    private struct Packed: Sendable, Equatable {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var count: Int

        /// nil when `bytes` has more than 16 bytes.
        init?<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
            guard bytes.count <= 16 else { return nil }
            count = bytes.count
            for (index, byte) in bytes.enumerated() {
                if index < 8 { low |= UInt64(byte) << (8 * index) } else { high |= UInt64(byte) << (8 * (index - 8)) }
            }
        }
    }

    /// Whether `text` and `bytes` are the same bytes, by `memcmp` (the generic `elementsEqual`
    /// walks both through iterators).
    private static func equal(_ text: [UInt8], _ bytes: ArraySlice<UInt8>) -> Bool {
        guard text.count == bytes.count else { return false }
        return text.withUnsafeBytes { left in
            bytes.withUnsafeBytes { right in left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0 }
        }
    }
}

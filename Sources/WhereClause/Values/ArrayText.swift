/// PostgreSQL's array text format (`array_in` / `array_out`): `{1,2,NULL}`,
/// `{"a b","c\"d"}`, `{{1,2},{3,4}}`, optionally prefixed by dimension bounds `[0:1]=`.
enum ArrayText {
    /// Parses an array literal, converting each non-NULL element with `element`. Returns nil
    /// for malformed literals, ragged multi-dimensional arrays, or when `element` fails.
    static func parse(_ text: String, element: (String) -> Value?) -> ArrayValue? {
        var scanner = ArrayScanner(scalars: Array(text.unicodeScalars))
        scanner.skipSpaces()
        if scanner.current == "[" {
            guard scanner.skipDimensionDecoration() else { return nil }
        }
        guard scanner.current == "{" else { return nil }
        var elements: [Value] = []
        var dimensions: [Int] = []
        guard scanner.parseLevel(depth: 0, dimensions: &dimensions, elements: &elements, element: element) else { return nil }
        scanner.skipSpaces()
        guard scanner.atEnd else { return nil }
        if elements.isEmpty { return .empty }
        guard dimensions.count <= 6, !dimensions.contains(-1) else { return nil }
        return ArrayValue(elements: elements, dimensions: dimensions)
    }

    /// `array_out`, formatting each non-NULL element with `element`.
    static func format(_ array: ArrayValue, element: (Value) -> String) -> String {
        guard !array.elements.isEmpty else { return "{}" }
        var output = ""
        var index = 0
        func emit(_ level: Int) {
            output += "{"
            for position in 0..<array.dimensions[level] {
                if position > 0 { output += "," }
                if level == array.dimensions.count - 1 {
                    let value = array.elements[index]
                    index += 1
                    output += value.isNull ? "NULL" : quote(element(value))
                } else {
                    emit(level + 1)
                }
            }
            output += "}"
        }
        emit(0)
        return output
    }

    static func quote(_ text: String) -> String {
        let needsQuotes =
            text.isEmpty || text.lowercased() == "null"
            || text.unicodeScalars.contains {
                $0 == "\"" || $0 == "\\" || $0 == "{" || $0 == "}" || $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n"
                    || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}"
            }
        guard needsQuotes else { return text }
        var quoted = "\""
        for c in text.unicodeScalars {
            if c == "\"" || c == "\\" { quoted.unicodeScalars.append("\\") }
            quoted.unicodeScalars.append(c)
        }
        return quoted + "\""
    }
}

private struct ArrayScanner {
    let scalars: [Unicode.Scalar]
    var position = 0

    var atEnd: Bool { position >= scalars.count }
    var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}"
    }

    mutating func skipSpaces() {
        while let c = current, ArrayScanner.isSpace(c) { position += 1 }
    }

    /// Skips `[lb:ub]...=`; the bounds are not kept.
    mutating func skipDimensionDecoration() -> Bool {
        while current == "[" {
            while let c = current, c != "]" { position += 1 }
            guard current == "]" else { return false }
            position += 1
        }
        skipSpaces()
        guard current == "=" else { return false }
        position += 1
        skipSpaces()
        return true
    }

    /// Depth of the innermost level holding scalar elements; all leaves must share it.
    var leafDepth: Int?

    /// Parses one `{...}` level, recording its length in `dimensions[depth]` (or checking it
    /// against the length recorded by an earlier sibling), so ragged arrays are rejected.
    mutating func parseLevel(
        depth: Int, dimensions: inout [Int], elements: inout [Value], element: (String) -> Value?
    ) -> Bool {
        guard current == "{", depth < 6 else { return false }
        position += 1
        skipSpaces()
        if dimensions.count <= depth { dimensions.append(-1) }
        if current == "}" {
            position += 1
            return depth == 0
        }
        var count = 0
        var nested: Bool?
        while true {
            skipSpaces()
            if current == "{" {
                guard nested != false else { return false }
                nested = true
                guard parseLevel(depth: depth + 1, dimensions: &dimensions, elements: &elements, element: element) else {
                    return false
                }
            } else {
                guard nested != true else { return false }
                nested = false
                guard let value = parseElement(element) else { return false }
                elements.append(value)
            }
            count += 1
            skipSpaces()
            if current == "," {
                position += 1
                continue
            }
            guard current == "}" else { return false }
            position += 1
            break
        }
        if nested == false {
            if let leafDepth, leafDepth != depth { return false }
            leafDepth = depth
        }
        if dimensions[depth] == -1 {
            dimensions[depth] = count
            return true
        }
        return dimensions[depth] == count
    }

    mutating func parseElement(_ element: (String) -> Value?) -> Value? {
        var text = String.UnicodeScalarView()
        var quoted = false
        var sawAnything = false
        var trailingSpaces = 0
        if current == "\"" {
            quoted = true
            position += 1
            while true {
                guard let c = current else { return nil }
                position += 1
                if c == "\"" { break }
                if c == "\\" {
                    guard let escaped = current else { return nil }
                    position += 1
                    text.append(escaped)
                } else {
                    text.append(c)
                }
            }
            sawAnything = true
        } else {
            while let c = current, c != ",", c != "}" {
                guard c != "{", c != "\"" else { return nil }
                position += 1
                if c == "\\" {
                    guard let escaped = current else { return nil }
                    position += 1
                    text.append(escaped)
                    trailingSpaces = 0
                } else {
                    text.append(c)
                    trailingSpaces = ArrayScanner.isSpace(c) ? trailingSpaces + 1 : 0
                }
                sawAnything = true
            }
            for _ in 0..<trailingSpaces { text.removeLast() }
        }
        guard sawAnything else { return nil }
        let string = String(text)
        if !quoted && string.lowercased() == "null" { return .null }
        return element(string)
    }
}

/// SQL `LIKE` / `ILIKE` matching with `%`, `_` and the default escape `\`, over Unicode
/// scalars (PostgreSQL matches characters, not bytes, in UTF-8 databases). `ILIKE` lower-cases
/// both sides first, as PostgreSQL does for multi-byte encodings.
enum LikeMatcher {
    static func matches(_ text: String, pattern: String, caseInsensitive: Bool) throws(WhereClauseError) -> Bool {
        let subject = Array((caseInsensitive ? TextCase.lower(text) : text).unicodeScalars)
        let tokens = Array((caseInsensitive ? TextCase.lower(pattern) : pattern).unicodeScalars)
        return try match(subject[...], tokens[...], depth: 0) == .matched
    }

    enum Outcome { case matched, failed, abort }

    /// Deepest recursion (one level per `%` being matched) before `stack depth limit exceeded`.
    static let maxDepth = 100

    static let trailingEscape = WhereClauseError.evaluation("LIKE pattern must not end with escape character")

    /// A port of PostgreSQL's `MatchText` (like_match.c) over Unicode scalars, including when
    /// it notices a trailing escape (only if matching gets that far) and its `LIKE_ABORT`
    /// pruning. Recursion depth is bounded by the number of `%` in the pattern.
    static func match(_ text: ArraySlice<Unicode.Scalar>, _ pattern: ArraySlice<Unicode.Scalar>, depth: Int)
        throws(WhereClauseError) -> Outcome
    {
        // PostgreSQL's check_stack_depth(): a pattern needs a hundred `%` to get here. The
        // bound keeps the recursion within a 512 KiB thread stack even in a debug build.
        guard depth < LikeMatcher.maxDepth else { throw .evaluation("stack depth limit exceeded") }
        var t = text
        var p = pattern
        if p.count == 1 && p.first == "%" { return .matched }
        while let pc = p.first, let tc = t.first {
            if pc == "\\" {
                p = p.dropFirst()
                guard let escaped = p.first else { throw trailingEscape }
                if escaped != tc { return .failed }
            } else if pc == "%" {
                p = p.dropFirst()
                while let next = p.first {
                    if next == "%" {
                        p = p.dropFirst()
                    } else if next == "_" {
                        if t.isEmpty { return .abort }
                        t = t.dropFirst()
                        p = p.dropFirst()
                    } else {
                        break
                    }
                }
                guard let head = p.first else { return .matched }
                let first: Unicode.Scalar
                if head == "\\" {
                    guard p.count >= 2 else { throw trailingEscape }
                    first = p[p.index(after: p.startIndex)]
                } else {
                    first = head
                }
                while let c = t.first {
                    if c == first {
                        let outcome = try match(t, p, depth: depth + 1)
                        if outcome != .failed { return outcome }
                    }
                    t = t.dropFirst()
                }
                return .abort
            } else if pc == "_" {
                t = t.dropFirst()
                p = p.dropFirst()
                continue
            } else if pc != tc {
                return .failed
            }
            t = t.dropFirst()
            p = p.dropFirst()
        }
        if !t.isEmpty { return .failed }
        while p.first == "%" { p = p.dropFirst() }
        return p.isEmpty ? .matched : .abort
    }
}

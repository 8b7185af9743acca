/// SQL `LIKE` / `ILIKE` matching with `%`, `_` and the default escape `\`, over Unicode
/// scalars (PostgreSQL matches characters, not bytes, in UTF-8 databases). `ILIKE` lower-cases
/// both sides first, as PostgreSQL does for multi-byte encodings.
enum LikeMatcher {
    static func matches(_ text: String, pattern: String, caseInsensitive: Bool) throws(WhereClauseError) -> Bool {
        let subject = Array((caseInsensitive ? TextCase.lower(text) : text).unicodeScalars)
        let tokens = try compile(caseInsensitive ? TextCase.lower(pattern) : pattern)
        return match(subject, tokens)
    }

    enum Token: Equatable {
        case literal(Unicode.Scalar)
        case any
        case anySequence
    }

    static func compile(_ pattern: String) throws(WhereClauseError) -> [Token] {
        var tokens: [Token] = []
        var escaped = false
        for c in pattern.unicodeScalars {
            if escaped {
                tokens.append(.literal(c))
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "%" {
                if tokens.last != .anySequence { tokens.append(.anySequence) }
            } else if c == "_" {
                tokens.append(.any)
            } else {
                tokens.append(.literal(c))
            }
        }
        if escaped { throw .evaluation("LIKE pattern must not end with escape character") }
        return tokens
    }

    /// Iterative matching with single-star backtracking: linear in practice, quadratic at
    /// worst, no recursion.
    static func match(_ subject: [Unicode.Scalar], _ tokens: [Token]) -> Bool {
        var s = 0, t = 0
        var starToken = -1, starSubject = 0
        while s < subject.count {
            if t < tokens.count {
                switch tokens[t] {
                case .anySequence:
                    starToken = t
                    starSubject = s
                    t += 1
                    continue
                case .any:
                    s += 1
                    t += 1
                    continue
                case .literal(let c) where c == subject[s]:
                    s += 1
                    t += 1
                    continue
                default:
                    break
                }
            }
            guard starToken >= 0 else { return false }
            t = starToken + 1
            starSubject += 1
            s = starSubject
        }
        while t < tokens.count, tokens[t] == .anySequence { t += 1 }
        return t == tokens.count
    }
}

extension Parser {
    /// The number of comma-separated items from the current token to the `)` or `]` that
    /// closes the enclosing list: a linear scan over tokens, so an over-long IN list or ARRAY
    /// is reported with its real length without parsing the rest.
    func listItemsAhead() -> Int {
        var items = 1
        var nesting = 0
        for token in tokens[min(index, tokens.count - 1)...] {
            switch token.kind {
            case .leftParen, .leftBracket: nesting += 1
            case .rightParen, .rightBracket:
                if nesting == 0 { return items }
                nesting -= 1
            case .comma where nesting == 0: items += 1
            case .end: return items
            default: break
            }
        }
        return items
    }
}

extension SyntaxNode {
    /// The operands of this node, in order.
    var children: [SyntaxNode] {
        switch kind {
        case .column, .string, .number, .boolean, .null, .parameter: return []
        case .cast(let e, _), .unary(_, let e), .not(let e), .isNull(let e, _), .booleanTest(let e, _, _): return [e]
        case .binary(_, let a, let b), .distinct(let a, let b, _), .like(let a, let b, _, _), .quantified(_, let a, let b, _),
            .element(let a, let b):
            return [a, b]
        case .and(let items), .or(let items), .array(let items), .function(_, let items): return items
        case .inList(let a, let items, _): return [a] + items
        case .between(let a, let b, let c, _, _): return [a, b, c]
        }
    }

    /// The number of nodes in the tree, counted without recursion (``WhereClauseLimits/maxNodes``).
    var nodeCount: Int {
        var count = 0
        var pending = [self]
        while let node = pending.popLast() {
            count += 1
            pending.append(contentsOf: node.children)
        }
        return count
    }
}

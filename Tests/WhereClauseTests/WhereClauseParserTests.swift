import Testing

@testable import WhereClause

/// Prints a syntax tree as an S-expression so precedence is visible in assertions.
func sexpr(_ node: SyntaxNode) -> String {
    switch node.kind {
    case .column(let name): return name
    case .string(let s): return "'\(s)'"
    case .number(let n): return n
    case .boolean(let b): return b ? "true" : "false"
    case .null: return "null"
    case .parameter(let n): return "$\(n)"
    case .cast(let e, let t): return "(:: \(sexpr(e)) \(t.name)\(t.isArray ? "[]" : ""))"
    case .unary(let op, let e): return "(\(op) \(sexpr(e)))"
    case .binary(let op, let a, let b): return "(\(op) \(sexpr(a)) \(sexpr(b)))"
    case .and(let args): return "(and " + args.map(sexpr).joined(separator: " ") + ")"
    case .or(let args): return "(or " + args.map(sexpr).joined(separator: " ") + ")"
    case .not(let e): return "(not \(sexpr(e)))"
    case .isNull(let e, let negated): return "(\(negated ? "notnull" : "isnull") \(sexpr(e)))"
    case .booleanTest(let e, let test, let negated): return "(is\(negated ? "-not" : "")-\(test.rawValue.lowercased()) \(sexpr(e)))"
    case .distinct(let a, let b, let negated): return "(\(negated ? "not-" : "")distinct \(sexpr(a)) \(sexpr(b)))"
    case .inList(let a, let items, let negated):
        return "(\(negated ? "not-" : "")in \(sexpr(a)) " + items.map(sexpr).joined(separator: " ") + ")"
    case .like(let a, let p, let ci, let negated): return "(\(negated ? "not-" : "")\(ci ? "ilike" : "like") \(sexpr(a)) \(sexpr(p)))"
    case .between(let x, let lo, let hi, let symmetric, let negated):
        return "(\(negated ? "not-" : "")between\(symmetric ? "-sym" : "") \(sexpr(x)) \(sexpr(lo)) \(sexpr(hi)))"
    case .quantified(let op, let a, let b, let all): return "(\(op) \(sexpr(a)) (\(all ? "all" : "any") \(sexpr(b))))"
    case .array(let items): return "[" + items.map(sexpr).joined(separator: " ") + "]"
    case .function(let name, let args): return "(\(name)" + args.map { " " + sexpr($0) }.joined() + ")"
    case .element(let a, let i): return "(at \(sexpr(a)) \(sexpr(i)))"
    }
}

struct WhereClauseParserTests {
    @Test(arguments: [
        ("a OR b AND c", "(or a (and b c))"),
        ("NOT a AND b", "(and (not a) b)"),
        ("NOT a IS NULL", "(not (isnull a))"),
        ("a = b IS NULL", "(isnull (= a b))"),
        ("(a < b) = c IS TRUE", "(is-true (= (< a b) c))"),
        ("a IS NULL = b", "(= (isnull a) b)"),
        ("1 + 2 * 3 ^ 4", "(+ 1 (* 2 (^ 3 4)))"),
        ("2 ^ 3 ^ 2", "(^ (^ 2 3) 2)"),
        ("- 2 ^ 2", "(^ -2 2)"),
        ("-a ^ 2", "(^ (- a) 2)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a || b + c", "(|| a (+ b c))"),
        ("a @> b || c", "(|| (@> a b) c)"),
        ("a || b LIKE c || d", "(like (|| a b) (|| c d))"),
        ("a LIKE b = true", "(= (like a b) true)"),
        ("a BETWEEN 1 AND 2 AND b", "(and (between a 1 2) b)"),
        ("a NOT BETWEEN SYMMETRIC b + 1 AND c", "(not-between-sym a (+ b 1) c)"),
        ("a IN (1, 2) = b", "(= (in a 1 2) b)"),
        ("a NOT IN (1) OR a NOT LIKE 'x' OR a NOT ILIKE 'y'", "(or (not-in a 1) (not-like a 'x') (not-ilike a 'y'))"),
        ("x::int4[] = ANY(y)", "(= (:: x int4[]) (any y))"),
        ("x < ALL (ARRAY[1, 2])", "(< x (all [1 2]))"),
        ("-x::int8", "(- (:: x int8))"),
        ("CAST(a AS double precision)", "(:: a float8)"),
        ("a::pg_catalog.timestamp with time zone", "(:: a timestamptz)"),
        ("a::character varying", "(:: a varchar)"),
        ("date '2024-01-01'", "(:: '2024-01-01' date)"),
        ("a IS NOT DISTINCT FROM b + 1", "(not-distinct a (+ b 1))"),
        ("a ISNULL OR b NOTNULL", "(or (isnull a) (notnull b))"),
        ("a IS NOT UNKNOWN", "(is-not-unknown a)"),
        ("ARRAY[[1,2],[3,4]]", "[[1 2] [3 4]]"),
        ("arr[1] + 1", "(+ (at arr 1) 1)"),
        ("lower(\"T\") = 'x'", "(= (lower T) 'x')"),
        ("pg_catalog.upper(t)", "(upper t)"),
        ("- -5", "5"),
        ("- -2147483648", "2147483648"),
    ])
    func precedence(text: String, tree: String) throws {
        #expect(sexpr(try Parser.parse(text)) == tree)
    }

    @Test(arguments: [
        ("a = b = c", "At location 6: syntax error at or near \"=\""),
        ("a LIKE b LIKE c", "At location 9: syntax error at or near \"LIKE\""),
        ("", "At location 0: syntax error at end of input"),
        ("a =", "At location 3: syntax error at end of input"),
        ("(a", "At location 2: syntax error at end of input"),
        ("a = 1 ORDER BY a", "At location 6: malformed query ending with SQL clauses"),
        ("a = 1; DROP TABLE x", "At location 5: unescaped \";\" causing statement split"),
        ("a IN (SELECT 1)", "At location 5: subqueries are not supported"),
        ("a::foo", "At location 3: unsupported type foo"),
        ("a::varchar(10)", "At location 3: unsupported type varchar with modifiers"),
        ("t.a = 1", "At location 0: unknown reference t.a"),
        ("count(*) > 1", "At location 0: aggregation is not supported in this context"),
        ("select = 1", "At location 0: syntax error at or near \"select\""),
        ("a LIKE 'x' ESCAPE '!'", "At location 11: ESCAPE clauses are not supported"),
        ("numeric(1) = 1", "At location 11: syntax error at or near \"=\""),
        ("numeric(10) '1.5' = n", "At location 12: unsupported type numeric with modifiers"),
        ("integer(a) = 1", "At location 11: syntax error at or near \"=\""),
    ])
    func syntaxErrors(text: String, message: String) {
        #expect(compileError(text) == message)
    }

    @Test func locationsPointAtOperators() throws {
        let tree = try Parser.parse("id + 1 > 2")
        #expect(tree.location == 7)
        guard case .binary(_, let left, _) = tree.kind else {
            Issue.record("expected a binary node")
            return
        }
        #expect(left.location == 3)
    }
}

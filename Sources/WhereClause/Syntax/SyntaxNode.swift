/// A node of the parsed (untyped) where-clause tree.
///
/// Every node carries the 0-based character offset of the token that PostgreSQL would report
/// for it: the first token for literals, references and calls; the operator for operators.
struct SyntaxNode: Hashable, Sendable {
    /// The boolean-test targets of `IS [NOT] TRUE/FALSE/UNKNOWN`.
    enum BooleanTest: String, Hashable, Sendable {
        case isTrue = "TRUE"
        case isFalse = "FALSE"
        case isUnknown = "UNKNOWN"
    }

    /// Node kinds.
    indirect enum Kind: Hashable, Sendable {
        case column(String)
        /// `'text'`: typed by context (PostgreSQL's `unknown`).
        case string(String)
        /// A numeric literal as written (sign folded in for negated literals).
        case number(String)
        case boolean(Bool)
        case null
        case parameter(Int)
        case cast(SyntaxNode, TypeName)
        /// Prefix `+` / `-`.
        case unary(String, SyntaxNode)
        /// Infix operators: comparison, arithmetic, `||`, `@>`, `<@`, `&&`.
        case binary(String, SyntaxNode, SyntaxNode)
        /// `a AND b AND c`, flattened so long chains need no deep recursion.
        case and([SyntaxNode])
        /// `a OR b OR c`, flattened.
        case or([SyntaxNode])
        case not(SyntaxNode)
        case isNull(SyntaxNode, negated: Bool)
        case booleanTest(SyntaxNode, BooleanTest, negated: Bool)
        case distinct(SyntaxNode, SyntaxNode, negated: Bool)
        case inList(SyntaxNode, [SyntaxNode], negated: Bool)
        case like(SyntaxNode, SyntaxNode, caseInsensitive: Bool, negated: Bool)
        case between(SyntaxNode, SyntaxNode, SyntaxNode, symmetric: Bool, negated: Bool)
        /// `lhs op ANY(rhs)` or `lhs op ALL(rhs)`.
        case quantified(String, SyntaxNode, SyntaxNode, all: Bool)
        case array([SyntaxNode])
        case function(String, [SyntaxNode])
        case element(SyntaxNode, SyntaxNode)
    }

    var kind: Kind
    var location: Int

    init(_ kind: Kind, at location: Int) {
        self.kind = kind
        self.location = location
    }
}

/// A type name as written in a cast, normalized to PostgreSQL's internal element name.
struct TypeName: Hashable, Sendable {
    /// The internal element type name (`int4`, `float8`, `timestamptz`, ...).
    var name: String
    var isArray: Bool

    /// Maps SQL spellings to internal names (`integer` → `int4`, `double precision` → `float8`).
    static let aliases: [String: String] = [
        "bool": "bool", "boolean": "bool",
        "int2": "int2", "smallint": "int2",
        "int4": "int4", "int": "int4", "integer": "int4",
        "int8": "int8", "bigint": "int8",
        "float4": "float4", "real": "float4",
        "float8": "float8", "double precision": "float8", "float": "float8",
        "numeric": "numeric", "decimal": "numeric",
        "text": "text",
        "varchar": "varchar", "character varying": "varchar",
        "bpchar": "bpchar", "char": "bpchar", "character": "bpchar",
        "uuid": "uuid", "date": "date",
        "time": "time", "time without time zone": "time",
        "timestamp": "timestamp", "timestamp without time zone": "timestamp",
        "timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
        "interval": "interval",
    ]
}

/// Random well-typed expressions over ``DiffTable`` for the differential test. Placeholders
/// `$n` stand for untyped string literals (their values are in ``DiffGenerator/parameters``). Errors
/// (overflow, division by zero) are allowed: the test requires PostgreSQL and Conduit to fail
/// on the same rows. Not generated: numeric `^` with non-integer exponents (Conduit computes
/// those in double precision),
/// `lower`/`upper`/`ILIKE` on non-ASCII text (locale-dependent in PostgreSQL).
extension DiffGenerator {
    static let numericTypes = ["int2", "int4", "int8", "numeric", "float4", "float8"]
    static let comparableTypes = [
        "int2", "int4", "int8", "numeric", "float4", "float8", "text", "bpchar", "uuid", "date", "time", "timestamp", "timestamptz",
        "interval", "bool",
    ]

    mutating func leaf(_ type: String) -> String {
        // Literals in non-canonical input forms exercise the input functions.
        if chance(0.25), let value = randomValue(type), type != "ascii" {
            // Sometimes as an untyped `$n` parameter: typed by context like a string literal.
            if chance(0.5) {
                parameters.append(value)
                return "$\(parameters.count)"
            }
            return "'" + value.replacingOccurrences(of: "'", with: "''") + "'::" + type
        }
        switch type {
        case "bool": return pick(["b", "true", "false", "NULL::bool"])
        case "int2": return pick(["i2", "i2", "5::int2", "(-32768)::int2", "32767::int2"])
        case "int4": return pick(["i4", "i4", "0", "1", "-1", "7", "2147483647", "-2147483648", "\(int(-100...100))", "NULL::int4"])
        case "int8": return pick(["i8", "i8", "9223372036854775807", "-9223372036854775808", "3000000000", "2::int8"])
        case "numeric":
            return pick(["n", "n", "1.5", "0.001", "-12345678901234567890.125", "'NaN'::numeric", "'Infinity'::numeric", "1e3", "3", "0.0"])
        case "float4": return pick(["f4", "f4", "1.5::float4", "'NaN'::real", "'-Infinity'::float4", "0.1::real"])
        case "float8":
            return pick([
                "f8", "f8", "1.5::float8", "'NaN'::float8", "'Infinity'::float8", "'-0'::float8", "1e308::float8", "0.1::double precision",
            ])
        case "text": return pick(["t", "t", "v", "c::text", "'abc'", "''", "'é'", "'😀'", "'a%'", "'A'", "ta"])
        case "ascii": return pick(["ta", "ta", "'abc'", "'ABC'", "'Hello World'", "''"])
        case "bpchar": return pick(["c", "c", "'a '::bpchar", "'ab'::char(2)", "''::bpchar"].filter { !$0.contains("char(") })
        case "uuid":
            return pick(["u", "u", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "'{ffffffff-ffff-ffff-ffff-ffffffffffff}'::uuid"])
        case "date": return pick(["d", "d", "'2024-02-29'::date", "'infinity'::date", "'2000-01-01'::date", "DATE '1970-01-01'"])
        case "time": return pick(["tm", "tm", "'12:00:00'::time", "'23:59:59.5'::time", "'00:00'::time"])
        case "timestamp":
            return pick(["ts", "ts", "'2024-01-01 12:00:00'::timestamp", "'infinity'::timestamp", "'2000-01-01T00:00:00.25'::timestamp"])
        case "timestamptz":
            return pick([
                "tz", "tz", "'2024-01-01 12:00:00+02'::timestamptz", "'-infinity'::timestamptz", "'2024-01-01 00:00:00Z'::timestamptz",
            ])
        case "interval":
            return pick([
                "iv", "iv", "'1 day'::interval", "'P1M'::interval", "'-1 mons 3 days'::interval", "'36 hours'::interval",
                "'1.5 days'::interval", "INTERVAL '1 year'",
            ])
        case "int4[]": return pick(["ia", "ia", "ARRAY[1,2]", "'{1,NULL,3}'::int4[]", "'{}'::int4[]", "ARRAY[i4, 1]"])
        case "text[]": return pick(["xa", "xa", "ARRAY['a','b']", "'{\"a b\",NULL}'::text[]", "ARRAY[t]"])
        default: return "NULL"
        }
    }

    static let textRoundTripTypes = [
        "int2", "int4", "int8", "numeric", "float4", "float8", "bool", "uuid", "date", "time", "timestamp", "timestamptz", "interval",
        "int4[]", "text[]",
    ]

    mutating func expression(_ type: String, depth: Int) -> String {
        if depth <= 0 || chance(0.3) { return leaf(type) }
        let d = depth - 1
        // Output then input again: exercises every type's text output and input functions.
        if DiffGenerator.textRoundTripTypes.contains(type), chance(0.08) {
            return "((\(expression(type, depth: d)))::text)::\(type)"
        }
        switch type {
        case "bool": return boolean(d)
        case "int2", "int4", "int8", "numeric", "float4", "float8": return number(type, d)
        case "text": return text(d)
        case "ascii": return chance(0.5) ? "lower(\(expression("ascii", depth: d)))" : "upper(\(expression("ascii", depth: d)))"
        case "date":
            return pick([
                "(\(expression("date", depth: d)) + \(expression("int4", depth: d)))",
                "(\(expression("date", depth: d)) - \(int(-400...400)))", "(\(expression("timestamp", depth: d)))::date",
                "coalesce(\(expression("date", depth: d)), d)", "(\(expression("timestamptz", depth: d)))::date",
            ])
        case "time":
            return pick([
                "(\(expression("time", depth: d)) + \(expression("interval", depth: d)))",
                "(\(expression("time", depth: d)) - \(expression("interval", depth: d)))", "(\(expression("timestamp", depth: d)))::time",
                "(\(expression("timestamptz", depth: d)))::time", "(\(expression("interval", depth: d)))::time",
            ])
        case "timestamp":
            return pick([
                "(\(expression("timestamp", depth: d)) + \(expression("interval", depth: d)))",
                "(\(expression("timestamp", depth: d)) - \(expression("interval", depth: d)))",
                "(\(expression("date", depth: d)) + \(expression("interval", depth: d)))",
                "(\(expression("date", depth: d)) + \(expression("time", depth: d)))",
                "(\(expression("timestamptz", depth: d)))::timestamp", "(\(expression("date", depth: d)))::timestamp",
            ])
        case "timestamptz":
            return pick([
                "(\(expression("timestamptz", depth: d)) + \(expression("interval", depth: d)))",
                "(\(expression("timestamp", depth: d)))::timestamptz", "greatest(tz, \(expression("timestamptz", depth: d)))",
            ])
        case "interval":
            return pick([
                "(\(expression("interval", depth: d)) + \(expression("interval", depth: d)))",
                "(\(expression("interval", depth: d)) - \(expression("interval", depth: d)))",
                "(\(expression("timestamp", depth: d)) - \(expression("timestamp", depth: d)))",
                "(\(expression("timestamptz", depth: d)) - \(expression("timestamptz", depth: d)))",
                "(\(expression("time", depth: d)) - \(expression("time", depth: d)))",
                "(\(expression("interval", depth: d)) * \(pick(["2", "0.5", "-1.5", "f8", "3.25"])))",
                "justify_days(\(expression("interval", depth: d)))",
                "(\(expression("interval", depth: d)) / \(pick(["2", "0.5", "-3", "7.5", "1e-3"])))",
                "(\(expression("time", depth: d)))::interval", "justify_hours(\(expression("interval", depth: d)))",
                "justify_interval(\(expression("interval", depth: d)))", "(- \(expression("interval", depth: d)))",
            ])
        case "int4[]":
            return pick([
                "(\(expression("int4[]", depth: d)) || \(expression("int4[]", depth: d)))",
                "array_append(\(expression("int4[]", depth: d)), \(expression("int4", depth: d)))",
                "array_prepend(\(expression("int4", depth: d)), \(expression("int4[]", depth: d)))",
                "array_cat(\(expression("int4[]", depth: d)), ia)",
                "ARRAY[\(expression("int4", depth: d)), \(expression("int4", depth: d))]",
                "(\(expression("int4[]", depth: d)) || \(expression("int4", depth: d)))",
                "ARRAY[ARRAY[\(expression("int4", depth: d)), \(leaf("int4"))], ARRAY[\(leaf("int4")), \(expression("int4", depth: d))]]",
                "ARRAY[\(expression("int4[]", depth: d)), ia]",
            ])
        case "text[]":
            return pick([
                "(\(expression("text[]", depth: d)) || \(expression("text", depth: d)))",
                "array_append(xa, \(expression("text", depth: d)))", "ARRAY[\(expression("text", depth: d))]",
            ])
        case "uuid": return "coalesce(\(expression("uuid", depth: d)), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')"
        case "bpchar": return "coalesce(\(expression("bpchar", depth: d)), c)"
        default: return leaf(type)
        }
    }

    mutating func number(_ type: String, _ d: Int) -> String {
        let a = expression(type, depth: d)
        let b = expression(type, depth: d)
        var ops = ["+", "-", "*", "/"]
        if ["int2", "int4", "int8", "numeric"].contains(type) { ops.append("%") }
        if type == "float8" && chance(0.1) { ops.append("^") }
        switch int(0...9) {
        case 0:
            if type == "numeric" && chance(0.3) { return "(\(a) ^ \(pick(["2", "3", "-1", "-2", "0", "5", "1"])))" }
            return chance(0.8) ? "(- \(a))" : "(+ \(a))"
        case 1:
            let source = pick(DiffGenerator.numericTypes)
            switch int(0...2) {
            case 0: return "CAST(\(expression(source, depth: d)) AS \(type))"
            case 1 where type != "float4":
                return "\(type == "numeric" ? pick(["numeric", "float8"]) : type)(\(expression(source, depth: d)))"
            default: return "(\(expression(source, depth: d)))::\(type)"
            }
        case 2: return pick(["coalesce(\(a), \(b))", "greatest(\(a), \(b), \(leaf(type)))", "least(\(a), \(b))"])
        case 3 where type == "int4":
            return pick([
                "array_ndims(\(expression("int4[]", depth: d)))", "(\(expression("date", depth: d)) - \(expression("date", depth: d)))",
                "(\(expression("bool", depth: d)))::int4", "(ia)[\(int(0...3))]",
            ])
        case 4:
            // Mixed-type arithmetic resolves through implicit casts.
            let other = pick(DiffGenerator.numericTypes)
            return "(\(a) \(pick(["+", "-", "*"])) \(expression(other, depth: d)))"
        default: return "(\(a) \(pick(ops)) \(b))"
        }
    }

    mutating func text(_ d: Int) -> String {
        switch int(0...6) {
        case 0: return "(\(expression("text", depth: d)) || \(expression("text", depth: d)))"
        case 1:
            return
                "concat(\(expression("text", depth: d)), \(expression(pick(["int4", "bool", "numeric", "date"]), depth: d)), \(expression("text", depth: d)))"
        case 2: return "(\(expression(pick(DiffGenerator.comparableTypes + ["int4[]", "text[]"]), depth: d)))::text"
        case 3: return "(\(expression("text", depth: d)) || \(expression(pick(["int4", "float8", "numeric", "bool", "date"]), depth: d)))"
        case 4:
            return pick([
                "coalesce(\(expression("text", depth: d)), \(leaf("text")))", "greatest(\(expression("text", depth: d)), \(leaf("text")))",
                "least(\(expression("text", depth: d)), t, v)",
            ])
        case 5: return expression("ascii", depth: d)
        default:
            return pick([
                "(\(expression("bpchar", depth: d)))::text", "(c || \(expression("text", depth: d)))",
                "coalesce(c, \(expression("text", depth: d)))",
                "lower(\(expression("bpchar", depth: d)))", "text(\(expression(pick(["int4", "date", "bool", "interval"]), depth: d)))",
            ])
        }
    }

    mutating func comparisonOperands(_ d: Int) -> (String, String) {
        if chance(0.25) {
            return (expression(pick(DiffGenerator.numericTypes), depth: d), expression(pick(DiffGenerator.numericTypes), depth: d))
        }
        if chance(0.1) {
            let pair = pick([
                ("date", "timestamp"), ("date", "timestamptz"), ("timestamp", "timestamptz"), ("bpchar", "text"), ("text", "bpchar"),
            ])
            return (expression(pair.0, depth: d), expression(pair.1, depth: d))
        }
        let type = pick(DiffGenerator.comparableTypes)
        return (expression(type, depth: d), expression(type, depth: d))
    }

    mutating func boolean(_ d: Int) -> String {
        let comparison = pick(["=", "<>", "<", ">", "<=", ">=", "!="])
        switch int(0...15) {
        case 0, 1, 2:
            let (a, b) = comparisonOperands(d)
            return "(\(a) \(comparison) \(b))"
        case 3: return "(\(boolean(d)) AND \(boolean(d)))"
        case 4: return "(\(boolean(d)) OR \(boolean(d)))"
        case 5: return "(NOT \(boolean(d)))"
        case 6: return "(\(expression(pick(DiffGenerator.comparableTypes + ["int4[]"]), depth: d)) IS \(pick(["", "NOT "]))NULL)"
        case 7: return "(\(expression("bool", depth: d)) IS \(pick(["", "NOT "]))\(pick(["TRUE", "FALSE", "UNKNOWN"])))"
        case 8:
            let (a, b) = comparisonOperands(d)
            return "(\(a) IS \(pick(["", "NOT "]))DISTINCT FROM \(b))"
        case 9:
            let type = pick(DiffGenerator.comparableTypes)
            let items = (0..<pick([1, 2, 3, 4, 9])).map { _ in expression(type, depth: max(d - 1, 0)) }
            return "(\(expression(type, depth: d)) \(pick(["", "NOT "]))IN (\(items.joined(separator: ", "))))"
        case 10:
            let type = pick(DiffGenerator.comparableTypes)
            return "(\(expression(type, depth: d)) \(pick(["", "NOT "]))BETWEEN \(pick(["", "SYMMETRIC "]))\(leaf(type)) AND \(leaf(type)))"
        case 11:
            let pattern = pick(["'a%'", "'%b'", "'_'", "'%'", "'a\\_b'", "'%é%'", "'A%'", "''", "'a_c'", "'%a%b%'", "t", "'%\\%%'"])
            if chance(0.5) { return "(\(expression("text", depth: d)) \(pick(["", "NOT "]))LIKE \(pattern))" }
            return "(\(expression("ascii", depth: d)) \(pick(["", "NOT "]))ILIKE \(pick(["'a%'", "'%B'", "'hello%'", "'_'", "ta"])))"
        case 12: return "(\(expression("int4", depth: d)) \(comparison) \(pick(["ANY", "ALL"]))(\(expression("int4[]", depth: d))))"
        case 13:
            if chance(0.2) {
                return "(\(expression("int4[]", depth: d)) IS \(pick(["", "NOT "]))DISTINCT FROM \(expression("int4[]", depth: d)))"
            }
            return "(\(expression("int4[]", depth: d)) \(pick(["@>", "<@", "&&", "=", "<>", "<", ">="])) \(expression("int4[]", depth: d)))"
        case 14: return "(\(expression("text[]", depth: d)) \(pick(["@>", "<@", "&&", "="])) \(expression("text[]", depth: d)))"
        default:
            return pick([
                "b", "like(\(expression("text", depth: d)), 'a%')", "(\(expression("text", depth: d)) = ANY(xa))",
                "(\(expression("int4", depth: d)))::bool", "bool(\(expression(pick(["int4", "text"]), depth: d)))",
                "(\(expression("bpchar", depth: d)) \(pick(["", "NOT "]))LIKE \(pick(["'a '", "'a%'", "'_'", "'a'", "t"])))",
                "(\(expression("text", depth: d)) LIKE \(pick(["ANY", "ALL"]))(\(expression("text[]", depth: d))))",
            ])
        }
    }
}

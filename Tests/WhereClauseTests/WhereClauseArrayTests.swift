import Testing

@testable import WhereClause

struct WhereClauseArrayTests {
    @Test func containmentAndOverlap() throws {
        #expect(try evaluate("ia @> '{1,2}'", ["ia": "{3,2,1}"]) == true)
        #expect(try evaluate("ia @> '{1,NULL}'", ["ia": "{1,NULL}"]) == false)
        #expect(try evaluate("ia <@ ARRAY[1,2,3]", ["ia": "{}"]) == true)
        #expect(try evaluate("ia && ARRAY[5,1]", ["ia": "{1,NULL}"]) == true)
        #expect(try evaluate("ia && ARRAY[5]", ["ia": "{1,NULL}"]) == false)
        #expect(try evaluate("ta @> ARRAY['a b']", ["ta": "{\"a b\",c}"]) == true)
        // Containment ignores dimensions.
        #expect(try evaluate("ia @> ARRAY[4]", ["ia": "{{1,2},{3,4}}"]) == true)
    }

    @Test func anyAndAll() throws {
        #expect(try evaluate("2 = ANY(ia)", ["ia": "{1,2}"]) == true)
        #expect(try evaluate("3 = ANY(ia)", ["ia": "{1,NULL}"]) == nil)
        #expect(try evaluate("id = ANY(ia)", ["ia": "{}"]) == false)
        #expect(try evaluate("id < ALL(ia)", ["ia": "{}"]) == true)
        #expect(try evaluate("0 < ALL(ia)", ["ia": "{1,2}"]) == true)
        #expect(try evaluate("id = ANY('{1,2}')", ["id": "2"]) == true)
        #expect(try evaluate("t LIKE ANY(ta)", ["t": "abc", "ta": "{x%,a%}"]) == true)
        #expect(try evaluate("id = ANY(ia)", ["id": "1"]) == nil)
    }

    @Test func equalityAndOrdering() throws {
        #expect(try evaluate("ia = '{1,2}'", ["ia": "{1,2}"]) == true)
        #expect(try evaluate("ia = '{1,NULL}'", ["ia": "{1,NULL}"]) == true)
        #expect(try evaluate("ia < '{1,3}'", ["ia": "{1,2,9}"]) == true)
        #expect(try evaluate("ia > '{1,2}'", ["ia": "{1,2,0}"]) == true)
        #expect(try evaluate("ia = '{{1,2}}'", ["ia": "{1,2}"]) == false)
    }

    @Test func constructionAndConcatenation() throws {
        #expect(try constantText("ARRAY[1,2] || 3") == "{1,2,3}")
        #expect(try constantText("0 || ARRAY[1,2]") == "{0,1,2}")
        #expect(try constantText("ARRAY[1] || ARRAY[[2],[3]]") == "{{1},{2},{3}}")
        #expect(try constantText("ARRAY[[1,2],[3,4]]") == "{{1,2},{3,4}}")
        #expect(try evaluate("ARRAY[ia, ia]::text = '{{1,2},{1,2}}'", ["ia": "{1,2}"]) == true)
        #expect(try evaluate("ARRAY[ia, NULL]::text = '{}'", [:]) == true)
        #expect(throws: ArrayOperations.mismatchedDimensions) { try evaluate("ARRAY[ia, '{}'] IS NULL", ["ia": "{1}"]) }
        #expect(throws: ArrayOperations.mismatchedDimensions) { try evaluate("ARRAY[ia, ARRAY[1]] IS NULL", ["ia": "{1,2}"]) }
        #expect(try constantText("array_cat(NULL::int4[], ARRAY[1])") == "{1}")
        #expect(try constantText("array_append(NULL::int4[], 1)") == "{1}")
        #expect(try constantText("array_append('{5}', -1)") == "{5,-1}")
        #expect(try constantText("array_prepend(NULL, ARRAY[1])") == "{NULL,1}")
        #expect(try constantText("ARRAY['a b', NULL, '', 'x\"y', 'null']") == "{\"a b\",NULL,\"\",\"x\\\"y\",\"null\"}")
        #expect(try constantText("ARRAY[true, false]") == "{t,f}")
        #expect(try constantText("array_ndims(ARRAY[[1],[2]])::text") == "2")
        #expect(try evaluate("array_ndims(ia) IS NULL", ["ia": "{}"]) == true)
        #expect(try evaluate("ia[2] = 20", ["ia": "{10,20}"]) == true)
        #expect(try evaluate("ia[3] IS NULL", ["ia": "{10,20}"]) == true)
        #expect(compileError("ARRAY[1, 'x'] IS NULL") == "At location 9: invalid syntax for type int4: x")
        #expect(compileError("ARRAY[] IS NULL") == "At location 0: cannot determine type of empty array")
    }

    @Test func arrayTextParsing() throws {
        let elements = IndexableCondition.elements(ofArrayText: " { a , \"b \\\" c\" , NULL , \"NULL\" } ")
        #expect(elements == ["a", "b \" c", nil, "NULL"])
        #expect(IndexableCondition.elements(ofArrayText: "[0:1]={1,2}") == ["1", "2"])
        #expect(IndexableCondition.elements(ofArrayText: "{{1,2},{3}}") == nil)
        #expect(IndexableCondition.elements(ofArrayText: "{1,2") == nil)
        #expect(IndexableCondition.elements(ofArrayText: "{}") == [])
        #expect(try evaluate("ia = '{{1,2},{3,4}}'", ["ia": "{{1,2},{3,4}}"]) == true)
    }
}

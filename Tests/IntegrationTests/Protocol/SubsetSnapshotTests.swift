import Foundation
import Postgres
import TestSupport
import Testing

/// Subset snapshots (protocol.md §3.4, §4.8) over GET and POST: the `{metadata, data}` body, its
/// headers, the shape's where AND the subset's, ordering and paging, and the exact 400 bodies.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct SubsetSnapshotTests {
    /// One cluster for every check (each cluster costs a database and three processes); the row
    /// cap is 3, above every subset but the one that checks it.
    @Test func subsetSnapshots() async throws {
        try await TasksCluster.with(label: "subset", environment: ["CONDUIT_SUBSET_MAX_ROWS": "3"]) { cluster, sql, _ in
            try await Self.getSubsetHasMetadataRowsAndHeaders(cluster, sql)
            try await Self.postBodyCarriesTheSubset(cluster, sql)
            try await Self.invalidSubsetsAreExact400s(cluster, sql)
            try await Self.parametersNeverReachSQLAsText(cluster, sql)
            try await Self.oversizedSubsetsAreRefusedNotCut(cluster, sql)
            try await Self.subsetOfAnUnknownHandleIs409(cluster, sql)
            try await ShapeDeletionTests.disabledByDefault(cluster, sql)
        }
    }

    static let shape = [("table", "tasks"), ("where", "status = 'open'"), ("log", "changes_only"), ("offset", "-1")]

    /// The ids of a subset body's rows, in order, after checking each row's form.
    static func ids(_ body: JSONValue, mark: Int64) -> [String] {
        (body["data"]?.arrayValue ?? []).map { row in
            #expect(row["headers"]?["operation"]?.stringValue == "insert")
            #expect(row["headers"]?["snapshot_mark"]?.intValue == mark)
            #expect(row["headers"]?["relation"]?.arrayValue?.compactMap(\.stringValue) == ["public", "tasks"])
            return row["value"]?["id"]?.stringValue ?? "?"
        }
    }

    static func getSubsetHasMetadataRowsAndHeaders(_ cluster: ConduitCluster, _ sql: PostgresConnection) async throws {
        let response = try await cluster.client.shape(
            Self.shape + [
                ("subset__where", "priority >= $1"), ("subset__params", #"{"1":"2"}"#),
                ("subset__order_by", "priority DESC, id ASC"), ("subset__limit", "3"),
            ])
        #expect(response.status == 200, "\(response)")
        #expect(response.headers["electric-snapshot"] == "true")
        #expect(response.headers["cache-control"] == "no-cache")
        #expect(response.headers["electric-handle"] != nil)
        #expect(response.headers["electric-offset"] != nil)
        #expect(response.headers["electric-schema"]?.contains("\"priority\"") == true)
        for absent in ["etag", "electric-cursor", "electric-up-to-date", "electric-has-data"] {
            #expect(response.headers[absent] == nil, "\(absent) must not be on a subset response")
        }
        let body = try response.jsonValue
        let metadata = try #require(body["metadata"])
        let mark = try #require(metadata["snapshot_mark"]?.intValue)
        #expect((0...Int64(Int32.max)).contains(mark))
        for key in ["xmin", "xmax", "database_lsn"] {
            let text = try #require(metadata[key]?.stringValue, "\(key) is a string")
            #expect(UInt64(text) != nil, "\(key)=\(text) is decimal")
        }
        #expect(metadata["xip_list"]?.arrayValue != nil)
        // Open tasks (even ids) with priority ≥ 2 (id % 5): 2, 4, 8 → by priority desc, id asc.
        #expect(Self.ids(body, mark: mark) == ["4", "8", "2"])

        // The exploded params form and an offset page through the same order.
        let page = try await cluster.client.shape(
            Self.shape + [
                ("subset__where", "priority >= $1"), ("subset__params[1]", "2"),
                ("subset__order_by", "priority DESC, id ASC"), ("subset__limit", "2"), ("subset__offset", "2"),
            ])
        let pageBody = try page.jsonValue
        #expect(Self.ids(pageBody, mark: pageBody["metadata"]?["snapshot_mark"]?.intValue ?? -1) == ["2"], "\(page.text)")
    }

    static func postBodyCarriesTheSubset(_ cluster: ConduitCluster, _ sql: PostgresConnection) async throws {
        let path = "/v1/shape" + HTTPClient.query(Self.shape)
        let json = Array(#"{"where":"id <= $1","params":{"1":6},"order_by":"id DESC","limit":2}"#.utf8)
        let response = try await cluster.client.request("POST", path, headers: ["content-type": "application/json"], body: json)
        #expect(response.status == 200, "\(response)")
        #expect(response.headers["cache-control"] == "no-cache")
        let body = try response.jsonValue
        #expect(Self.ids(body, mark: body["metadata"]?["snapshot_mark"]?.intValue ?? -1) == ["6", "4"])

        let nested = Array(#"{"subset":{"where":"id = 2"}}"#.utf8)
        let nestedResponse = try await cluster.client.request("POST", path, body: nested)
        let nestedBody = try nestedResponse.jsonValue
        #expect(Self.ids(nestedBody, mark: nestedBody["metadata"]?["snapshot_mark"]?.intValue ?? -1) == ["2"])

        // Without a body, POST is a GET with `cache-control: no-cache`.
        let plain = try await cluster.client.request("POST", path)
        #expect(plain.status == 200 && plain.headers["cache-control"] == "no-cache", "\(plain)")
        #expect(try plain.jsonValue.arrayValue != nil)

        let invalid = try await cluster.client.request("POST", path, body: Array("{nope".utf8))
        #expect(invalid.status == 400)
        #expect(try invalid.jsonValue["error"]?.stringValue == "Invalid JSON in request body")
        #expect(try invalid.jsonValue["details"]?.stringValue != nil)
        let array = try await cluster.client.request("POST", path, body: Array("[1]".utf8))
        #expect(array.status == 400 && array.text == #"{"error":"Request body must be a JSON object"}"#, "\(array)")
        let tooLarge = try await cluster.client.request("POST", path, body: Array(repeating: UInt8(ascii: " "), count: 2 << 20))
        #expect(tooLarge.status == 413, "\(tooLarge)")
    }

    static func invalidSubsetsAreExact400s(_ cluster: ConduitCluster, _ sql: PostgresConnection) async throws {
        let exact: [([(String, String)], String)] = [
            (
                [("subset__limit", "2")],
                #"{"message":"Invalid request","errors":{"subset":{"order_by":["order_by is required when limit or offset is present"]}}}"#
            ),
            (
                [("subset__limit", "0"), ("subset__order_by", "id")],
                #"{"message":"Invalid request","errors":{"subset":{"limit":["must be greater than 0"]}}}"#
            ),
            (
                [("subset__limit", "two"), ("subset__order_by", "id")],
                #"{"message":"Invalid request","errors":{"subset":{"limit":["is invalid"]}}}"#
            ),
            (
                [("subset__offset", "-1"), ("subset__order_by", "id")],
                #"{"message":"Invalid request","errors":{"subset":{"offset":["must be greater than or equal to 0"]}}}"#
            ),
            ([("subset__params", "not json")], #"{"message":"Invalid request","errors":{"subset":{"params":["is invalid"]}}}"#),
            (
                [("subset__order_by", "id; DROP TABLE tasks")],
                #"{"message":"Invalid request","errors":{"subset":{"order_by":["Unexpected `;` in order by"]}}}"#
            ),
            (
                [("subset__order_by", "ghost")],
                #"{"message":"Invalid request","errors":{"subset":{"order_by":["At location 18: unknown reference ghost"]}}}"#
            ),
            (
                [("subset__where", "ghost = 1")],
                #"{"message":"Invalid request","errors":{"subset":{"where":["At location 0: unknown reference ghost"]}}}"#
            ),
        ]
        for (extra, expected) in exact {
            let response = try await cluster.client.shape(Self.shape + extra)
            #expect(response.status == 400, "\(extra): \(response)")
            #expect(response.text == expected, "\(extra)")
            #expect(response.headers["cache-control"] == "no-store")
        }
        for orderBy in ["lower(title)", "id::text", "id + 1", "(SELECT 1)", "CASE WHEN id > 1 THEN 1 END", "$1", "1"] {
            let response = try await cluster.client.shape(Self.shape + [("subset__order_by", orderBy)])
            #expect(response.status == 400, "\(orderBy): \(response)")
            let message = try response.jsonValue["errors"]?["subset"]?["order_by"]?.arrayValue?.first?.stringValue ?? ""
            #expect(message.contains("not allowed in ORDER BY") || message.contains("not supported in ORDER BY"), "\(orderBy): \(message)")
        }
    }

    static func parametersNeverReachSQLAsText(_ cluster: ConduitCluster, _ sql: PostgresConnection) async throws {
        let attack = "x' OR '1'='1"
        let response = try await cluster.client.shape(
            Self.shape + [("subset__where", "title = $1"), ("subset__params", "{\"1\":\"\(attack)\"}")])
        #expect(response.status == 200, "\(response)")
        #expect(try response.jsonValue["data"]?.arrayValue?.isEmpty == true)
        let quoted = try await cluster.client.shape(Self.shape + [("subset__order_by", #""id"" DESC NULLS LAST"#)])
        #expect(quoted.status == 400, "a column named `id\"` does not exist: \(quoted)")
        #expect(try sql.execute("SELECT count(*) FROM tasks").rows[0][0] == "10")
    }

    static func oversizedSubsetsAreRefusedNotCut(_ cluster: ConduitCluster, _ sql: PostgresConnection) async throws {
        let all = try await cluster.client.shape(Self.shape + [("subset__where", "true")])
        #expect(all.status == 400, "\(all)")
        #expect(all.text.contains("more than 3 rows"), "\(all.text)")
        let paged = try await cluster.client.shape(Self.shape + [("subset__order_by", "id"), ("subset__limit", "3")])
        #expect(paged.status == 200, "\(paged)")
        #expect(try paged.jsonValue["data"]?.arrayValue?.count == 3)
    }

    static func subsetOfAnUnknownHandleIs409(_ cluster: ConduitCluster, _ sql: PostgresConnection) async throws {
        let response = try await cluster.client.shape([
            ("table", "tasks"), ("offset", "0_0"), ("handle", "nonexistent"), ("subset__where", "id = 1"),
        ])
        #expect(response.status == 409, "\(response)")
        #expect(response.headers["electric-handle"] != nil)
    }
}

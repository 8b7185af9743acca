import Foundation
import Testing

/// serve against the open internet (issue 6): what it answers to oversized, slow and too many
/// connections, checked over raw sockets against the real binary. These need no router, so serve
/// runs alone.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs the built binaries: run through scripts/test"), .timeLimit(.minutes(3)))
struct ServeLimitsTests {
    /// Sends `request` on a new connection and returns the answer; serve must close afterwards.
    static func answer(to request: [UInt8], port: Int) async throws -> HTTPResponse? {
        let connection = try RawHTTPConnection.connect(port: port)
        defer { connection.close() }
        try? connection.send(request)
        let response = try await connection.response(timeout: .seconds(20))
        #expect(try await connection.waitForClose(timeout: .seconds(20)), "serve closes after a rejection")
        return response
    }

    static func message(_ response: HTTPResponse?) throws -> String? {
        guard let response else { return nil }
        let body = try response.json() as? [String: Any]
        return (body?["message"] ?? body?["error"]) as? String
    }

    @Test func oversizedRequestsGetTheirOwnStatusAndAJSONBody() async throws {
        try await ServeProcesses.withStandalone { _, port in
            let longTarget = "/v1/shape?table=items&offset=-1&where=" + String(repeating: "x", count: 17000)
            let uri = try await Self.answer(to: Array("GET \(longTarget) HTTP/1.1\r\nHost: x\r\n\r\n".utf8), port: port)
            #expect(uri?.status == 414)
            #expect(uri?.headers["content-type"] == "application/json; charset=utf-8")
            #expect(try Self.message(uri) == "URI too long: the request target exceeds 16384 bytes")

            let cookie = "Cookie: " + String(repeating: "c", count: 40000) + "\r\n"
            let headers = try await Self.answer(to: Array("GET /v1/health HTTP/1.1\r\nHost: x\r\n\(cookie)\r\n".utf8), port: port)
            #expect(headers?.status == 431)
            #expect(try Self.message(headers)?.hasPrefix("Request header fields too large") == true)

            let declared = try await Self.answer(
                to: Array("GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n".utf8),
                port: port
            )
            #expect(declared?.status == 413)
            #expect(try Self.message(declared) == "Request body too large")

            let chunked =
                Array("GET /v1/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                + Array(
                    repeating: Array("10000\r\n".utf8) + Array(repeating: UInt8(ascii: "z"), count: 65536) + Array("\r\n".utf8), count: 20
                )
                .flatMap { $0 }
            let streamed = try await Self.answer(to: chunked, port: port)
            // The body is dropped while the request is answered, so the 200 may come first; either
            // way the connection ends without reading the rest.
            #expect(streamed?.status == 202 || streamed?.status == 413)

            // serve is unharmed.
            #expect(try await HTTPClient(port: port).get("/v1/health").status == 202)
        }
    }

    /// A client trickling a header byte every 200 ms is cut off after the head timeout: its
    /// 26 s head never completes, however long it keeps sending. (No wall-clock bound is checked
    /// here: a busy test machine delays the client, not serve's timer.)
    @Test func slowlorisIsCutOffAfterTheHeadTimeout() async throws {
        try await ServeProcesses.withStandalone(environment: ["CONDUIT_REQUEST_HEAD_TIMEOUT_MS": "1500"]) { _, port in
            let connection = try RawHTTPConnection.connect(port: port)
            defer { connection.close() }
            let head = Array("GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: \(String(repeating: "s", count: 100))\r\n\r\n".utf8)
            var sent = 0
            for byte in head {
                do {
                    try connection.send([byte])
                } catch {
                    break  // serve closed the connection
                }
                sent += 1
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(sent < head.count, "serve cut the connection before the head was complete")
            let response = try await connection.response(timeout: .seconds(30))
            #expect(response == nil || response?.status == 408)
            #expect(try await connection.waitForClose(timeout: .seconds(30)))
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() async throws {
        try await ServeProcesses.withStandalone(environment: ["CONDUIT_IDLE_TIMEOUT_MS": "1000"]) { _, port in
            let connection = try RawHTTPConnection.connect(port: port)
            defer { connection.close() }
            let sent = ContinuousClock.now
            try connection.sendGet("/v1/health")
            #expect(try await connection.response()?.status == 202)
            #expect(try await connection.waitForClose(timeout: .seconds(20)))
            // The idle time counts from the end of the response, which came after `sent`.
            #expect(sent.duration(to: .now) >= .seconds(1))
        }
    }

    @Test func connectionsOverTheCapAreAnswered503() async throws {
        try await ServeProcesses.withStandalone(environment: ["CONDUIT_MAX_CONNECTIONS": "2"]) { _, port in
            let open = try (0..<2).map { _ in try RawHTTPConnection.connect(port: port) }
            for connection in open {
                try connection.sendGet("/v1/health")
                #expect(try await connection.response()?.status == 202)
            }
            let refused = try await Self.answer(to: Array("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n".utf8), port: port)
            #expect(refused?.status == 503)
            #expect((6...10).contains(Int(refused?.headers["retry-after"] ?? "") ?? 0))
            #expect(try Self.message(refused) == "Concurrent connection limit exceeded (limit: 2), please retry")

            // The open connections still work; once one closes, a new one is served again.
            try open[0].sendGet("/v1/health")
            #expect(try await open[0].response()?.status == 202)
            open[1].close()
            var status = 0
            for _ in 0..<100 where status != 202 {
                let connection = try RawHTTPConnection.connect(port: port)
                try connection.sendGet("/v1/health")
                status = try await connection.response()?.status ?? 0
                connection.close()
                if status != 202 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(status == 202)
            open[0].close()
        }
    }
}

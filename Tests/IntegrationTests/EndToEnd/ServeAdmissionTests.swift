import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Shape requests waiting on router are capped (issue 6): with router stalled, requests beyond
/// `CONDUIT_MAX_SHAPE_CREATIONS` are answered 503 at once instead of queueing.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(3)))
struct ServeAdmissionTests {
    @Test func shapeRequestsBeyondTheCapAreRefusedWhileRouterIsBusy() async throws {
        let seed = "CREATE TABLE others (id int PRIMARY KEY)"
        try await ItemsCluster.with(label: "admission", seed: seed, environment: ["CONDUIT_MAX_SHAPE_CREATIONS": "1"]) { cluster, _, _ in
            cluster.router.signal(SIGSTOP)
            defer { cluster.router.signal(SIGCONT) }
            let client = cluster.client
            let waiting = Task { try await client.get("/v1/shape?table=items&offset=-1") }
            try await Task.sleep(for: .seconds(1))
            let refused = try await client.get("/v1/shape?table=others&offset=-1", timeout: .seconds(10))
            #expect(refused.status == 503)
            #expect((6...10).contains(Int(refused.headers["retry-after"] ?? "") ?? 0))
            #expect(refused.headers["electric-internal-known-error"] == "true")
            let body = try refused.json() as? [String: Any]
            #expect(body?["code"] as? String == "concurrent_request_limit_exceeded")

            cluster.router.signal(SIGCONT)
            // The request that was let through is answered: normally 200, or 503 with retry-after
            // when router stayed stopped longer than serve waits for it (a loaded machine).
            let admitted = try await waiting.value
            #expect(admitted.status == 200 || (admitted.status == 503 && admitted.headers["retry-after"] != nil), "\(admitted.status)")
            #expect(try await client.get("/v1/shape?table=others&offset=-1").status == 200)
        }
    }
}

import Foundation
import Testing

/// Clients that stop reading (issue 6; ElectricSQL fixed the same in 1.7.8): serve streams a
/// ~10 MB chunk in windows and waits for each write, so stalled clients cost it about a window
/// each, not the chunk.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct ServeSlowClientTests {
    /// Resident memory of process `pid` in bytes (`VmRSS`).
    static func residentBytes(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let kilobytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kilobytes * 1024
    }

    @Test func stalledClientsDoNotMakeServeHoldTheChunk() async throws {
        let seed = "INSERT INTO items SELECT g, repeat('x', 2000) FROM generate_series(1, 5000) g"
        try await ItemsCluster.with(label: "slow", seed: seed) { cluster, _, _ in
            let target = "/v1/shape?table=items&offset=-1"
            let first = try await cluster.client.get(target)
            #expect(first.body.count > 9_000_000, "chunk 0 is about 10 MB: \(first.body.count) bytes")
            let baseline = try Self.residentBytes(cluster.serve.pid)

            let clients = 16
            let stalled = try (0..<clients).map { _ in try RawHTTPConnection.connect(port: cluster.port, receiveBuffer: 4096) }
            defer { stalled.forEach { $0.close() } }
            for connection in stalled { try connection.sendGet(target) }
            try await Task.sleep(for: .seconds(4))
            let growth = try Self.residentBytes(cluster.serve.pid) - baseline
            // Holding the chunk would take about (10 MB - what the kernel buffers) each, some
            // 90 MB in all; windows take well under 1 MB each.
            #expect(growth < 48 << 20, "serve grew by \(growth >> 20) MiB for \(clients) stalled clients")

            let resumed = try #require(try await stalled[0].response(timeout: .seconds(60)))
            #expect(resumed.body.count == first.body.count, "the stalled response completes when read")
        }
    }
}

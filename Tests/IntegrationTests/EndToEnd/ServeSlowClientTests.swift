import Foundation
import Testing

/// Clients that stop reading (issue 6; ElectricSQL fixed the same in 1.7.8): serve streams a
/// chunk in windows and waits for each write, so stalled clients cost it a few windows each,
/// not the chunk.
///
/// The test measures serve's private memory (`RssAnon`): file-backed pages say nothing about
/// buffers. Even so, the burst of writes before the clients' socket buffers fill leaves the
/// allocator with 1-3 MB per client that it keeps (measured: flat afterwards, but anywhere from
/// 23 to 48 MiB for these 16 clients from run to run). So the chunk is made large, ~40 MB, to put
/// the two outcomes far apart: with a window as large as the chunk serve grew by 1.2 GiB.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct ServeSlowClientTests {
    /// Resident anonymous (private) memory of process `pid` in bytes (`RssAnon`).
    static func privateResidentBytes(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("RssAnon:") })
        let kilobytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kilobytes * 1024
    }

    @Test func stalledClientsDoNotMakeServeHoldTheChunk() async throws {
        let seed = "INSERT INTO items SELECT g, repeat('x', 2000) FROM generate_series(1, 20000) g"
        let oneChunk = ["CONDUIT_CHUNK_BYTES": "\(64 << 20)"]
        try await ItemsCluster.with(label: "slow", seed: seed, environment: oneChunk) { cluster, _, _ in
            let target = "/v1/shape?table=items&offset=-1"
            let first = try await cluster.client.get(target)
            #expect(first.body.count > 40_000_000, "chunk 0 is about 40 MB: \(first.body.count) bytes")
            let baseline = try Self.privateResidentBytes(cluster.serve.pid)

            let clients = 16
            let stalled = try (0..<clients).map { _ in try RawHTTPConnection.connect(port: cluster.port, receiveBuffer: 4096) }
            defer { stalled.forEach { $0.close() } }
            for connection in stalled { try connection.sendGet(target) }
            try await Task.sleep(for: .seconds(4))
            let growth = try Self.privateResidentBytes(cluster.serve.pid) - baseline
            // Holding the chunk would take about (40 MB - what the kernel buffers) each, some
            // 600 MB in all; windows and the allocator's leftovers, a few MB each.
            #expect(growth < 192 << 20, "serve grew by \(growth >> 20) MiB for \(clients) stalled clients")

            let resumed = try #require(try await stalled[0].response(timeout: .seconds(60)))
            #expect(resumed.body.count == first.body.count, "the stalled response completes when read")
        }
    }
}

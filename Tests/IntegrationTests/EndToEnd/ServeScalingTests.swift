import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Several serve processes answer on one port (issue 8): through `SO_REUSEPORT`, or through one
/// listening socket they all inherit (systemd socket activation). One is killed with SIGKILL in
/// the middle of a client's requests; every request sent after it died is answered by the other.
@Suite(.enabled(if: TestDatabase.isAvailable, "needs PostgreSQL: run through scripts/test"), .timeLimit(.minutes(5)))
struct ServeScalingTests {
    static let target = "/v1/shape?table=items&offset=-1"

    static let seed = "INSERT INTO items SELECT g, 'row' FROM generate_series(1, 20) g"

    /// Sends requests on `port`, SIGKILLs `victim` after some were answered, and checks that the
    /// next twenty requests, all started after it died, were answered 200.
    static func killOneUnderLoad(_ victim: ConduitProcess, port: Int) async throws {
        let loop = RequestLoop.start(port: port, target: target)
        try await waitUntil(timeout: .seconds(60)) { loop.recorded.filter { $0.ending == .answered(200) }.count >= 10 }
        victim.kill()
        #expect(await victim.waitForExit(timeout: .seconds(10)) == 128 + SIGKILL)
        let died = ContinuousClock.now
        try await waitUntil(timeout: .seconds(120)) { loop.recorded.filter { $0.started >= died }.count >= 20 }
        let after = await loop.stop().filter { $0.started >= died }
        let failed = after.filter { $0.ending != .answered(200) }
        #expect(failed.isEmpty, "after the kill: \(failed.map(\.ending))")
    }

    @Test func reusePortSharesThePortAndSurvivesAKill() async throws {
        try await ItemsCluster.with(label: "reuseport", seed: Self.seed, environment: ["CONDUIT_REUSE_PORT": "true"]) { cluster, _, _ in
            let second = try cluster.relaunch("serve")
            try await ServeProcesses.waitUntilListening(2, logPaths: [cluster.serve.logPath])
            try await Self.killOneUnderLoad(cluster.serve, port: cluster.port)
            #expect(try await cluster.client.get(Self.target).status == 200)
            #expect(await second.stop() == 0)
        }
    }

    @Test func inheritedSocketIsSharedAndSurvivesAKill() async throws {
        try await ItemsCluster.with(label: "sockact", seed: Self.seed) { cluster, _, directory in
            let (listener, port) = try ServeProcesses.listeningSocket()
            defer { close(listener) }
            let instances = try (1...2).map { number in
                try ServeProcesses.launchSocketActivated(
                    listener: listener,
                    environment: cluster.environment,
                    logDirectory: directory,
                    name: "serve-\(number)"
                )
            }
            do {
                try await ServeProcesses.waitUntilListening(2, logPaths: instances.map(\.logPath))
                #expect(instances.allSatisfy { $0.logContents.contains("inherited fd 3") })
                try await Self.killOneUnderLoad(instances[0], port: port)
                #expect(try await HTTPClient(port: port).get(Self.target).status == 200)
                #expect(await instances[1].stop() == 0)
            } catch {
                for instance in instances { await instance.stop() }
                throw SupportError("\(error)\n" + instances.map { $0.logTail() }.joined(separator: "\n"))
            }
        }
    }
}

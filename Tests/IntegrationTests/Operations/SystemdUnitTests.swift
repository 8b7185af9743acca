import Foundation
import TestSupport
import Testing

/// `systemd/`: the units pass `systemd-analyze verify`, and `systemd/install --root` puts every
/// file where the units and the docs say.
@Suite(.timeLimit(.minutes(3)))
struct SystemdUnitTests {
    static let units = [
        "conduit.target", "conduit-ingest.service", "conduit-router.service", "conduit-serve.socket", "conduit-serve@.service",
    ]

    /// Runs `systemd/install --root <directory>/root --instances 2` with the test build's binaries.
    static func install(into directory: TemporaryDirectory) async throws -> String {
        let root = directory.appending("root")
        let result = try await OperatorCommand.run(
            ConduitProcess.packageRoot() + "/systemd/install",
            ["--root", root, "--bin-dir", try ConduitProcess.binaryDirectory(), "--instances", "2"], in: directory)
        try #require(result.status == 0, "systemd/install failed:\n\(result.output)")
        return root
    }

    /// ``install(into:)``, plus the system's own units: `verify --root` resolves every unit inside
    /// the root, `sysinit.target` and `multi-user.target` too.
    static func installForVerify(into directory: TemporaryDirectory) async throws -> String {
        let root = try await install(into: directory)
        try FileManager.default.createDirectory(atPath: root + "/usr/lib/systemd", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/usr/lib/systemd/system", toPath: root + "/usr/lib/systemd/system")
        return root
    }

    @Test func installLandsEveryFileInTheRoot() async throws {
        try await TemporaryDirectory.with { directory in
            let root = try await Self.install(into: directory)
            let manager = FileManager.default
            for binary in ["ingest", "router", "serve"] {
                #expect(manager.isExecutableFile(atPath: root + "/opt/conduit/bin/" + binary), "\(binary) not installed")
            }
            for unit in Self.units {
                #expect(manager.fileExists(atPath: root + "/etc/systemd/system/" + unit), "\(unit) not installed")
            }
            let wants = root + "/etc/systemd/system/conduit.target.wants/"
            for enabled in [
                "conduit-ingest.service", "conduit-router.service", "conduit-serve.socket", "conduit-serve@1.service",
                "conduit-serve@2.service",
            ] {
                #expect((try? manager.destinationOfSymbolicLink(atPath: wants + enabled)) != nil, "\(enabled) not enabled")
            }
            // Links point at /etc/… as seen from inside the root.
            #expect(
                (try? manager.destinationOfSymbolicLink(atPath: root + "/etc/systemd/system/multi-user.target.wants/conduit.target"))
                    == "/etc/systemd/system/conduit.target")
            let environment = try manager.attributesOfItem(atPath: root + "/etc/conduit/conduit.env")
            #expect((environment[.posixPermissions] as? Int) == 0o640, "the environment file holds secrets")
            #expect(manager.fileExists(atPath: root + "/usr/lib/sysusers.d/conduit.conf"))
            #expect(manager.fileExists(atPath: root + "/var/lib/conduit"))
            #expect(manager.fileExists(atPath: root + "/opt/conduit/share/doc/runbooks/first-deployment.md"))

            // A second run keeps an edited environment file.
            try "DATABASE_URL=postgresql://edited\n".write(toFile: root + "/etc/conduit/conduit.env", atomically: true, encoding: .utf8)
            _ = try await Self.install(into: directory)
            #expect(try String(contentsOfFile: root + "/etc/conduit/conduit.env", encoding: .utf8).contains("edited"))
        }
    }

    /// `systemd-analyze verify --root` against the installed tree: it checks syntax, unknown keys,
    /// dependencies and that every `ExecStart=` binary exists. Warnings count as failures.
    @Test func unitsVerify() async throws {
        guard let analyze = OperatorCommand.which("systemd-analyze") else {
            Issue.record("systemd-analyze is not installed (apt-get install systemd; .ci/run does): the units were NOT verified")
            return
        }
        try await TemporaryDirectory.with { directory in
            let root = try await Self.installForVerify(into: directory)
            let result = try await OperatorCommand.run(
                analyze,
                [
                    "verify", "--root=" + root, "conduit.target", "conduit-ingest.service", "conduit-router.service",
                    "conduit-serve.socket", "conduit-serve@1.service", "conduit-serve@2.service",
                ], in: directory)
            #expect(result.status == 0, "systemd-analyze verify failed:\n\(result.output)")
            #expect(
                result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "systemd-analyze verify warned:\n\(result.output)")
        }
    }

    @Test func verifyCatchesABrokenUnit() async throws {
        guard let analyze = OperatorCommand.which("systemd-analyze") else {
            Issue.record("systemd-analyze is not installed (apt-get install systemd): cannot check that verify catches errors")
            return
        }
        try await TemporaryDirectory.with { directory in
            let root = try await Self.installForVerify(into: directory)
            let path = root + "/etc/systemd/system/conduit-router.service"
            let broken = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
                of: "/opt/conduit/bin/router", with: "/opt/conduit/bin/nowhere")
            try broken.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try await OperatorCommand.run(analyze, ["verify", "--root=" + root, "conduit-router.service"], in: directory)
            #expect(result.status != 0 || !result.output.isEmpty, "a unit whose binary is missing passed verify")
        }
    }
}

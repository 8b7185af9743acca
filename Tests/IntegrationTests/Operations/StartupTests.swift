import Foundation
import TestSupport
import Testing

/// The one start-up path of the three binaries: a wrong or missing setting ends the process with
/// status 1 and one line naming the variable and what it expects; `--help` lists the subcommands.
@Suite(.timeLimit(.minutes(2)))
struct StartupTests {
    @Test(
        arguments: [
            ("ingest", [:], "DATABASE_URL"),
            ("router", [:], "DATABASE_URL"),
            ("ingest", ["DATABASE_URL": "postgresql:///x", "CONDUIT_SPOOL_SEGMENT_BYTES": "big"], "CONDUIT_SPOOL_SEGMENT_BYTES"),
            ("router", ["DATABASE_URL": "postgresql:///x", "CONDUIT_MAX_SHAPES": "0"], "CONDUIT_MAX_SHAPES"),
            ("router", ["DATABASE_URL": "postgresql:///x", "CONDUIT_STREAM_ID": "Bad-Id"], "CONDUIT_STREAM_ID"),
            ("serve", ["CONDUIT_PORT": "http"], "CONDUIT_PORT"),
            ("serve", ["CONDUIT_REUSE_PORT": "maybe"], "CONDUIT_REUSE_PORT"),
            ("serve", ["CONDUIT_LOG_FORMAT": "xml"], "CONDUIT_LOG_FORMAT"),
            ("ingest", ["CONDUIT_LOG_LEVEL": "loud"], "CONDUIT_LOG_LEVEL"),
            ("router", ["DATABASE_URL": "postgresql:///x", "CONDUIT_METRICS_PORT": "99999"], "CONDUIT_METRICS_PORT"),
        ] as [(String, [String: String], String)])
    func aBadSettingExitsWithOneLineNamingIt(binary: String, environment: [String: String], variable: String) async throws {
        try await TemporaryDirectory.with { directory in
            var environment = environment
            environment["CONDUIT_STORAGE_DIR"] = directory.appending("data")
            let result = try await ConduitProcess.run(binary, [], environment: environment, directory: directory, timeout: .seconds(30))
            #expect(result.status == 1, "\(binary) exited \(result.status.map(String.init) ?? "late"):\n\(result.output)")
            let lines = result.output.split(separator: "\n")
            #expect(lines.count == 1, "expected one line:\n\(result.output)")
            #expect(lines.first?.contains(variable) == true && lines.first?.contains("expected") == true, "\(result.output)")
        }
    }

    @Test func jsonLogsAreOneObjectPerLine() async throws {
        try await TemporaryDirectory.with { directory in
            let result = try await ConduitProcess.run(
                "router", [], environment: ["CONDUIT_LOG_FORMAT": "json", "CONDUIT_STORAGE_DIR": directory.appending("data")],
                directory: directory)
            #expect(result.status == 1)
            let line = try #require(result.output.split(separator: "\n").first)
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["process"] as? String == "router")
            #expect(object?["level"] as? String == "critical")
            #expect((object?["error"] as? String)?.contains("DATABASE_URL") == true)
        }
    }

    @Test(arguments: [("ingest", ["run", "spool-inspect"]), ("router", ["run", "status", "replay"]), ("serve", ["run"])])
    func helpListsTheSubcommands(binary: String, subcommands: [String]) async throws {
        try await TemporaryDirectory.with { directory in
            let result = try await ConduitProcess.run(binary, ["--help"], environment: [:], directory: directory)
            #expect(result.status == 0, "\(result.output)")
            for subcommand in subcommands {
                #expect(result.output.contains(subcommand), "\(binary) --help lacks \(subcommand):\n\(result.output)")
            }
            #expect(result.output.contains("run (default)"))
        }
    }
}

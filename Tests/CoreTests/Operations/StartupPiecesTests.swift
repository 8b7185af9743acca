import ConduitCore
import Foundation
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The shared start-up pieces: typed environment reads and their errors, and sd_notify.
struct StartupPiecesTests {
    @Test func readerNamesTheVariableAndWhatItExpects() throws {
        let reader = EnvironmentReader(["A": "12", "B": "x", "C": "", "D": "yes", "E": "JSON"])
        #expect(try reader.integer("A", in: 1...20) == 12)
        #expect(try reader.integer("C", default: 7, in: 1...20) == 7, "empty counts as unset")
        #expect(throws: ConfigurationError(variable: "B", value: "x", expected: "a whole number from 1 to 20")) {
            try reader.integer("B", in: 1...20)
        }
        #expect(try reader.boolean("D") == true)
        #expect(try reader.choice("E", ["text", "json"], default: "text") == "json")
        #expect(throws: ConfigurationError(variable: "MISSING", value: nil, expected: "a URL")) {
            try reader.required("MISSING", expected: "a URL")
        }
        #expect(ConfigurationError(variable: "B", value: "x", expected: "y").description == "B='x' is invalid: expected y")
        #expect(ConfigurationError(variable: "M", value: nil, expected: "y").description == "M is not set: expected y")
    }

    @Test func processSettingsDefaultsAndChecks() throws {
        let defaults = try ProcessSettings(environment: EnvironmentReader([:]))
        #expect(defaults.logLevel == .info && defaults.logFormat == .text && defaults.metricsPort == nil)
        #expect(throws: ConfigurationError.self) { try ProcessSettings(environment: EnvironmentReader(["CONDUIT_METRICS_PORT": "70000"])) }
    }

    /// `READY=1` reaches the datagram socket named by `NOTIFY_SOCKET`.
    @Test func notifySendsADatagramToNotifySocket() throws {
        let path = NSTemporaryDirectory() + "notify-\(UInt32.random(in: 0...UInt32.max)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer {
            close(fd)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        setenv("NOTIFY_SOCKET", path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        #expect(SystemdNotifier.notify("READY=1\nSTATUS=testing"))
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(count > 0 && String(decoding: buffer[0..<max(count, 0)], as: UTF8.self) == "READY=1\nSTATUS=testing")
    }
}

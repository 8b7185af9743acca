import ConduitCore
import Testing

@testable import Serve

/// The variables of issue 6 and 8: limits, timeouts, port sharing, socket activation.
struct ServeLimitsConfigurationTests {
    @Test func defaults() throws {
        let configuration = try ServeConfiguration(environment: [:])
        #expect(configuration.limits == RequestLimits())
        #expect(configuration.limits.maxURLBytes == 16384)
        #expect(configuration.limits.maxHeaderBytes == 32768)
        #expect(configuration.limits.maxBodyBytes == 1_048_576)
        #expect(configuration.limits.headTimeout == .seconds(10))
        #expect(configuration.limits.idleTimeout == .seconds(75))
        #expect(configuration.maxConnections == 4096)
        #expect(configuration.maxShapeCreations == 300)
        #expect(configuration.responseWindowBytes == 262_144)
        #expect(configuration.shutdownTimeout == .seconds(10))
        #expect(!configuration.reusePort)
        #expect(configuration.inheritedSocket == nil)
    }

    @Test func readsEnvironment() throws {
        let configuration = try ServeConfiguration(environment: [
            "CONDUIT_MAX_URL_BYTES": "2048", "CONDUIT_MAX_HEADER_BYTES": "4096", "CONDUIT_MAX_BODY_BYTES": "0",
            "CONDUIT_REQUEST_HEAD_TIMEOUT_MS": "1500", "CONDUIT_IDLE_TIMEOUT_MS": "30000",
            "CONDUIT_MAX_CONNECTIONS": "10", "CONDUIT_MAX_SHAPE_CREATIONS": "2",
            "CONDUIT_RESPONSE_WINDOW_BYTES": "65536", "CONDUIT_SHUTDOWN_TIMEOUT_MS": "2500", "CONDUIT_REUSE_PORT": "true",
        ])
        #expect(
            configuration.limits
                == RequestLimits(
                    maxURLBytes: 2048,
                    maxHeaderBytes: 4096,
                    maxBodyBytes: 0,
                    headTimeout: .milliseconds(1500),
                    idleTimeout: .seconds(30)
                )
        )
        #expect(configuration.maxConnections == 10)
        #expect(configuration.maxShapeCreations == 2)
        #expect(configuration.responseWindowBytes == 65536)
        #expect(configuration.shutdownTimeout == .milliseconds(2500))
        #expect(configuration.reusePort)
    }

    @Test(arguments: [
        ("CONDUIT_MAX_URL_BYTES", "16k"), ("CONDUIT_MAX_URL_BYTES", "100"), ("CONDUIT_MAX_HEADER_BYTES", "-1"),
        ("CONDUIT_MAX_BODY_BYTES", "2147483648"), ("CONDUIT_REQUEST_HEAD_TIMEOUT_MS", "10s"),
        ("CONDUIT_IDLE_TIMEOUT_MS", "0"), ("CONDUIT_MAX_CONNECTIONS", "0"), ("CONDUIT_MAX_SHAPE_CREATIONS", "many"),
        ("CONDUIT_RESPONSE_WINDOW_BYTES", "1"), ("CONDUIT_SHUTDOWN_TIMEOUT_MS", "forever"), ("CONDUIT_REUSE_PORT", "maybe"),
    ])
    func rejectsInvalidValuesNamingTheVariable(variable: String, value: String) {
        #expect {
            try ServeConfiguration(environment: [variable: value])
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.variable == variable && error?.description.hasPrefix("\(variable)='\(value)' is invalid") == true
        }
    }

    @Test func adoptsTheInheritedSocketMeantForThisProcess() throws {
        let meant = try ServeConfiguration(environment: ["LISTEN_PID": "42", "LISTEN_FDS": "1"], processID: 42)
        #expect(meant.inheritedSocket == 3)
        let stale = try ServeConfiguration(environment: ["LISTEN_PID": "41", "LISTEN_FDS": "1"], processID: 42)
        #expect(stale.inheritedSocket == nil)
        #expect(throws: ConfigurationError(variable: "LISTEN_FDS", value: "2", expected: "1 (serve listens on one socket)")) {
            try ServeConfiguration(environment: ["LISTEN_PID": "42", "LISTEN_FDS": "2"], processID: 42)
        }
    }

    @Test func onlyAListeningSocketCanBeAdopted() {
        #expect(!SocketActivation.isListeningStreamSocket(0))
        #expect(throws: ConfigurationError.self) { try SocketActivation.adopt(-1) }
    }
}

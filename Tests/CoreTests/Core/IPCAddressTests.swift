import ConduitCore
import Testing

/// `CONDUIT_ROUTER_LISTEN` / `CONDUIT_ROUTER_URL` values.
struct IPCAddressTests {
    @Test func addressesOfIPCChannels() {
        #expect(IPCAddress(hostPort: "10.0.0.5:7100") == .tcp(host: "10.0.0.5", port: 7100))
        #expect(IPCAddress(hostPort: "tcp://router.internal:7100/") == .tcp(host: "router.internal", port: 7100))
        #expect(IPCAddress(hostPort: "[::1]:7100") == .tcp(host: "::1", port: 7100))
        #expect(IPCAddress(hostPort: "[::1]:7100")?.description == "[::1]:7100")
        for bad in ["router", ":7100", "host:0", "host:99999", "host:x"] { #expect(IPCAddress(hostPort: bad) == nil, "\(bad)") }
    }
}

import ServiceLifecycle

/// The router connection as a service: it connects when the service group starts it, and
/// closes after graceful shutdown (listed before the server, so it outlives the responses in
/// flight, which may still need router).
extension RouterClient: Service {
    public func run() async {
        start()
        try? await gracefulShutdown()
        close()
    }
}

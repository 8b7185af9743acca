import ServiceLifecycle

/// Runs `tick` every `interval` until graceful shutdown, then once more (`final: true`), so a
/// status file or gauge says how the process ended rather than what it was doing a second before.
///
/// Used for what is sampled rather than counted on a hot path: status files (`ingest.status`,
/// `router.status`) and gauges such as spool bytes or lag.
public struct PeriodicService: Service {
    public let interval: Duration
    private let tick: @Sendable (_ final: Bool) -> Void

    public init(every interval: Duration, tick: @escaping @Sendable (_ final: Bool) -> Void) {
        self.interval = interval
        self.tick = tick
    }

    public func run() async {
        let interval = self.interval
        let tick = self.tick
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                tick(false)
                try await Task.sleep(for: interval)
            }
        }
        tick(true)
    }
}

import CoreMetrics
import Prometheus

/// Process-wide metrics set-up: swift-metrics backed by a Prometheus registry, bootstrapped once
/// by ``ProcessStartup`` (tests never bootstrap; they read values through their own factory or
/// scrape a real process).
public enum MetricsSetup {
    /// Bootstraps `MetricsSystem` with a ``PrometheusMetricsFactory`` and returns its registry, which
    /// ``MetricsEndpoint`` renders. Snapshot durations get buckets up to ten minutes (the default
    /// ones stop at ten seconds, where a snapshot of a large table only begins).
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[ConduitMetrics.snapshotDuration] = [
            .milliseconds(10), .milliseconds(50), .milliseconds(250), .seconds(1), .seconds(5), .seconds(15), .seconds(60),
            .seconds(300), .seconds(600),
        ]
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }
}

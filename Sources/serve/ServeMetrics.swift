import ConduitCore
import Hummingbird
import Metrics

/// serve's request metrics: a counter by route and status, a latency histogram by route.
///
/// Routes are a small fixed set, so the label space stays bounded whatever clients send. A live
/// shape request (`live=true`) is its own route: its latency is mostly the long-poll wait, and
/// mixing it with catch-up requests would hide both.
enum ServeMetrics {
    static func route(of request: Request) -> String {
        switch ServeResponder.normalize(request.uri.path) {
        case "/v1/shape":
            let live = QueryString.parse(request.uri.query).contains { $0.key == "live" && $0.value == "true" }
            return live ? "shape_live" : "shape"
        case "/v1/health": return "health"
        case "/v1/status": return "status"
        case "/": return "root"
        default: return "other"
        }
    }

    /// Records one response. A metric lookup per response (a lock and a dictionary probe in the
    /// registry) is small next to a request; nothing here runs per change.
    static func record(route: String, status: Int, duration: Duration) {
        Counter(label: ConduitMetrics.httpRequests, dimensions: [("route", route), ("status", String(status))]).increment()
        Metrics.Timer(label: ConduitMetrics.httpRequestDuration, dimensions: [("route", route)]).record(duration: duration)
    }
}

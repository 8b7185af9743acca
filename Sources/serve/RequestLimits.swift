/// What one HTTP request may make serve read and wait for (issue 6), enforced per connection by
/// ``ConnectionGuard`` before the request is decoded and answered.
struct RequestLimits: Sendable, Equatable {
    /// The request target (path and query). Shape URLs carry where clauses and their params, so
    /// they grow; 16 KiB matches what CDNs in front of a sync service pass through (Cloudflare
    /// rejects longer URLs) and leaves room for a few hundred `params[n]` values.
    var maxURLBytes = 16 * 1024
    /// The header lines after the request line. Browsers send 1-2 KiB; cookies for the app's own
    /// domain can add several KiB. 32 KiB is nginx's default (4 × 8 KiB buffers).
    var maxHeaderBytes = 32 * 1024
    /// A request body. No serve endpoint reads one, so bodies are counted and dropped; the limit
    /// bounds how long a connection can be kept busy with one. 1 MiB is nginx's default and leaves
    /// room for Electric's POST subset bodies should serve ever accept them.
    var maxBodyBytes = 1 << 20
    /// From a connection's start, or the first byte of a later request, until the request head is
    /// complete. A slowloris client that trickles header bytes is cut off after this, whatever its
    /// pace; a real client sends a head in one packet.
    var headTimeout: Duration = .seconds(10)
    /// A keep-alive connection with no request in progress is closed after this. Longer than the
    /// 60 s idle timeout of common load balancers, so the balancer always closes first and never
    /// sends a request on a connection serve is closing.
    var idleTimeout: Duration = .seconds(75)

    /// The longest request line that can carry an acceptable target: the target plus a method, a
    /// version and two spaces (`OPTIONS` and ` HTTP/1.1` are the longest we serve).
    var maxRequestLineBytes: Int { maxURLBytes + 32 }
}

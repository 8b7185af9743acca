import Foundation
import Logging
import Prometheus
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// `GET /metrics` in Prometheus text format on `CONDUIT_METRICS_HOST:CONDUIT_METRICS_PORT`, as a
/// `Service`: the same tiny responder in every process, so ingest and router (which have no HTTP
/// server) and each serve instance (which share one public port and so cannot be told apart
/// there) can each be scraped on a port of their own.
///
/// One thread, one request at a time, each connection bounded by a 2 s receive timeout: a scrape
/// every few seconds is all it serves, and a stuck scraper cannot hold it longer than that. The
/// socket is bound by ``bind(host:port:registry:logger:)``, at start-up, so a port in use fails
/// the start with one line instead of failing quietly later.
public final class MetricsEndpoint: Service, Sendable {
    /// The bound port (the real one when 0 was asked for).
    public let port: Int
    private let descriptor: Int32
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let stop = StopSignal()

    private init(descriptor: Int32, port: Int, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.descriptor = descriptor
        self.port = port
        self.registry = registry
        self.logger = logger
    }

    /// Binds and listens.
    /// - Throws: ``ConfigurationError`` naming `CONDUIT_METRICS_PORT` when the address cannot be bound.
    public static func bind(host: String, port: Int, registry: PrometheusCollectorRegistry, logger: Logger) throws(ConfigurationError)
        -> MetricsEndpoint
    {
        func failure(_ reason: String) -> ConfigurationError {
            ConfigurationError(variable: "CONDUIT_METRICS_PORT", value: "\(port)", expected: "a free port on \(host) (\(reason))")
        }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let info = results else {
            throw failure("cannot resolve \(host)")
        }
        defer { freeaddrinfo(results) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw failure(reason)
        }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let bound = withUnsafePointer(to: &address) { pointer -> Int in
            pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        return MetricsEndpoint(descriptor: fd, port: bound, registry: registry, logger: logger)
    }

    public func run() async throws {
        logger.info("Metrics endpoint listening", metadata: [LogKey.port: "\(port)"])
        let service = ThreadService(name: "metrics", stop: stop) { [self] stop in serve(until: stop) }
        try await service.run()
        close(descriptor)
    }

    private func serve(until stop: StopSignal) {
        var listening = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while !stop.isRequested {
            listening.revents = 0
            guard poll(&listening, 1, 200) > 0 else { continue }
            let connection = accept(descriptor, nil, nil)
            guard connection >= 0 else { continue }
            answer(connection)
            close(connection)
        }
    }

    /// Reads the request head (up to 8 KiB) and answers it.
    private func answer(_ connection: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while head.count < 8192, !head.ends(with: Array("\r\n\r\n".utf8)), !head.ends(with: Array("\n\n".utf8)) {
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return }
            head.append(contentsOf: chunk[0..<count])
        }
        let requestLine = String(decoding: head.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self).split(separator: " ")
        let response: [UInt8]
        if requestLine.count >= 2, requestLine[0] == "GET" || requestLine[0] == "HEAD",
            requestLine[1] == "/metrics" || requestLine[1].hasPrefix("/metrics?")
        {
            let body = registry.emitToBuffer()
            response = Self.response(
                "200 OK", type: "text/plain; version=0.0.4; charset=utf-8", body: requestLine[0] == "HEAD" ? [] : body, length: body.count)
        } else {
            let body = Array("Not found: try GET /metrics\n".utf8)
            response = Self.response("404 Not Found", type: "text/plain; charset=utf-8", body: body, length: body.count)
        }
        response.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let sent = send(connection, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return }
                offset += sent
            }
        }
    }

    private static func response(_ status: String, type: String, body: [UInt8], length: Int) -> [UInt8] {
        Array("HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(length)\r\nConnection: close\r\n\r\n".utf8) + body
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}

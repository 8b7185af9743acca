#if canImport(Glibc)
    import Glibc
#endif

/// Where an IPC channel listens or connects: a Unix socket in the storage directory (processes
/// on one host), or TCP (serve processes on other hosts, `CONDUIT_ROUTER_LISTEN` /
/// `CONDUIT_ROUTER_URL`). Both carry the same JSON lines.
public enum IPCAddress: Sendable, Hashable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Parses `host:port`, `[v6 address]:port`, or `tcp://host:port`; nil when malformed.
    public init?(hostPort text: String) {
        var text = Substring(text)
        if text.hasPrefix("tcp://") { text = text.dropFirst(6) }
        while text.hasSuffix("/") { text = text.dropLast() }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { return nil }
        self = .tcp(host: String(host), port: port)
    }

    public var description: String {
        switch self {
        case .unix(let path): path
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// A listening socket: `bind` + `listen`.
    func listen() throws(UnixSocket.Failure) -> Int32 {
        switch self {
        case .unix(let path): try UnixSocket.listen(path: path)
        case .tcp(let host, let port): try TCPSocket.listen(host: host, port: port)
        }
    }

    /// A connected socket.
    func connect() throws(UnixSocket.Failure) -> Int32 {
        switch self {
        case .unix(let path): try UnixSocket.connect(path: path)
        case .tcp(let host, let port): try TCPSocket.connect(host: host, port: port)
        }
    }
}

/// Thin POSIX helpers for TCP stream sockets, blocking, used from dedicated threads like
/// ``UnixSocket``.
enum TCPSocket {
    static func listen(host: String, port: Int) throws(UnixSocket.Failure) -> Int32 {
        try withAddress(host: host, port: port, passive: true) { info throws(UnixSocket.Failure) in
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw UnixSocket.Failure(operation: "socket", path: "\(host):\(port)", code: errno) }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, Glibc.listen(fd, 64) == 0 else {
                let code = errno
                Glibc.close(fd)
                throw UnixSocket.Failure(operation: "bind/listen", path: "\(host):\(port)", code: code)
            }
            return fd
        }
    }

    static func connect(host: String, port: Int) throws(UnixSocket.Failure) -> Int32 {
        try withAddress(host: host, port: port, passive: false) { info throws(UnixSocket.Failure) in
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw UnixSocket.Failure(operation: "socket", path: "\(host):\(port)", code: errno) }
            guard Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                let code = errno
                Glibc.close(fd)
                throw UnixSocket.Failure(operation: "connect", path: "\(host):\(port)", code: code)
            }
            configure(fd)
            return fd
        }
    }

    /// No Nagle delay (wake-ups are small and latency matters), and keepalive probes so a peer
    /// whose host vanished is noticed within about half a minute and the client reconnects.
    static func configure(_ fd: Int32) {
        var one: Int32 = 1
        var idle: Int32 = 10
        var interval: Int32 = 5
        var count: Int32 = 3
        let size = socklen_t(MemoryLayout<Int32>.size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, size)
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &count, size)
    }

    /// Runs `body` with the first address `getaddrinfo` gives for `host`.
    private static func withAddress(
        host: String, port: Int, passive: Bool, _ body: (UnsafeMutablePointer<addrinfo>) throws(UnixSocket.Failure) -> Int32
    ) throws(UnixSocket.Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        if passive { hints.ai_flags = AI_PASSIVE }
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw UnixSocket.Failure(operation: "resolve", path: "\(host):\(port)", code: EINVAL)
        }
        defer { freeaddrinfo(list) }
        return try body(first)
    }
}

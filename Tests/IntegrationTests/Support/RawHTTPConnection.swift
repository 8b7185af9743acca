import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// One TCP connection driven by hand, for tests that must control exactly what goes over a
/// connection: how many requests share it, how slowly bytes are sent, whether the client reads.
///
/// `URLSession` pools and retries connections on its own, so it cannot show that 50 requests
/// used one connection, nor send half a request. Blocking socket calls run on their own threads
/// (``offThePool(_:)``), never on Swift concurrency's few cooperative threads.
///
/// ```swift
/// let connection = try RawHTTPConnection.connect(port: cluster.port)
/// defer { connection.close() }
/// try connection.send("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
/// let response = try await connection.response()
/// ```
final class RawHTTPConnection: Sendable {
    let descriptor: Int32
    /// Bytes read past the end of the last response (the start of the next one).
    private let leftover = Mutex<[UInt8]>([])

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Connects to `127.0.0.1:port`.
    /// - Parameter receiveBuffer: a small `SO_RCVBUF` makes a client that stops reading stall the
    ///   server quickly (loopback otherwise buffers megabytes).
    static func connect(port: Int, receiveBuffer: Int32? = nil) throws -> RawHTTPConnection {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SupportError("socket() failed: \(String(cString: strerror(errno)))") }
        if var size = receiveBuffer {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw SupportError("connect to port \(port) failed: \(reason)")
        }
        return RawHTTPConnection(descriptor: descriptor)
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Writes all of `bytes` (blocking only while the kernel's send buffer is full).
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw SupportError("send failed: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// A `GET` request for `target` on this connection.
    func sendGet(_ target: String) throws {
        try send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    }

    /// Reads the next whole response.
    /// - Returns: nil when the server closed the connection before sending a byte of it.
    /// - Throws: when the connection ends or resets inside a response, or `timeout` passes.
    func response(timeout: Duration = .seconds(60)) async throws -> HTTPResponse? {
        try await offThePool { try self.readResponse(deadline: ContinuousClock.now + timeout) }
    }

    /// Reads and discards until the server closes the connection.
    /// - Returns: true when it closed (or reset) within `timeout`.
    func waitForClose(timeout: Duration) async throws -> Bool {
        try await offThePool {
            let deadline = ContinuousClock.now + timeout
            while true {
                switch try self.readSome(deadline: deadline) {
                case .bytes: continue
                case .closed: return true
                case .timedOut: return false
                }
            }
        }
    }

    func close() { Glibc.close(descriptor) }

    // MARK: Reading

    private enum Read {
        case bytes([UInt8])
        case closed
        case timedOut
    }

    private func readSome(deadline: ContinuousClock.Instant) throws -> Read {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { return .timedOut }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = min(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000, 1000)
            let ready = poll(&poller, 1, Int32(max(milliseconds, 1)))
            if ready < 0 && errno != EINTR { throw SupportError("poll failed: \(String(cString: strerror(errno)))") }
            guard ready > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 { return .bytes(Array(buffer[0..<count])) }
            if count == 0 || errno == ECONNRESET { return .closed }
            if errno != EINTR { throw SupportError("recv failed: \(String(cString: strerror(errno)))") }
        }
    }

    private func readResponse(deadline: ContinuousClock.Instant) throws -> HTTPResponse? {
        var parser = RawHTTPResponseParser(bytes: leftover.withLock { $0 })
        while true {
            if let (response, rest) = try parser.parse() {
                leftover.withLock { $0 = rest }
                return response
            }
            switch try readSome(deadline: deadline) {
            case .bytes(let bytes): parser.bytes += bytes
            case .closed:
                if parser.bytes.isEmpty { return nil }
                if let response = parser.untilClose() { return response }
                throw SupportError("connection closed inside a response: \(String(decoding: parser.bytes.prefix(300), as: UTF8.self))")
            case .timedOut:
                throw SupportError("no whole response in time; got \(parser.bytes.count) bytes")
            }
        }
    }
}

/// Splits an HTTP/1.1 response off the front of a byte stream: head, then a body framed by
/// `content-length` or chunked transfer coding (or, lacking both, ended by the connection).
struct RawHTTPResponseParser {
    var bytes: [UInt8]

    /// The response and the bytes after it, or nil while incomplete.
    func parse() throws -> (HTTPResponse, [UInt8])? {
        guard let headEnd = Self.find([13, 10, 13, 10], in: bytes, from: 0) else { return nil }
        var response = try Self.head(bytes[0..<headEnd])
        var position = headEnd + 4
        if let length = response.headers["content-length"].flatMap({ Int($0) }) {
            guard bytes.count >= position + length else { return nil }
            response.body = Array(bytes[position..<position + length])
            return (response, Array(bytes[(position + length)...]))
        }
        guard response.headers["transfer-encoding"]?.lowercased() == "chunked" else {
            return response.status == 204 || response.status == 304 ? (response, Array(bytes[position...])) : nil
        }
        // Walk the chunk headers first and copy the body only once it is whole: a large body read
        // a few KB at a time is parsed after every read, and copying it each time is quadratic.
        var chunks: [Range<Int>] = []
        while true {
            guard let lineEnd = Self.find([13, 10], in: bytes, from: position) else { return nil }
            let sizeText = String(decoding: bytes[position..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw SupportError("bad chunk size line \(sizeText)")
            }
            position = lineEnd + 2
            guard bytes.count >= position + size + 2 else { return nil }
            if size == 0 { break }
            chunks.append(position..<position + size)
            position += size + 2
        }
        response.body.reserveCapacity(chunks.reduce(0) { $0 + $1.count })
        for chunk in chunks { response.body += bytes[chunk] }
        return (response, Array(bytes[(position + 2)...]))
    }

    /// A response whose body runs to the end of the connection.
    func untilClose() -> HTTPResponse? {
        guard let headEnd = Self.find([13, 10, 13, 10], in: bytes, from: 0), var response = try? Self.head(bytes[0..<headEnd]),
            response.headers["content-length"] == nil, response.headers["transfer-encoding"] == nil
        else { return nil }
        response.body = Array(bytes[(headEnd + 4)...])
        return response
    }

    private static func head(_ bytes: ArraySlice<UInt8>) throws -> HTTPResponse {
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw SupportError("bad status line \(lines[0])")
        }
        let fields = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return HTTPResponse(status: status, headers: HTTPHeaders(fields), body: [])
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One connected peer on an IPC socket: send JSON-line messages to it from any thread.
public final class IPCPeer<Message: Codable & Sendable>: Sendable {
    public let id: Int
    private let fd: Int32
    private let open = Mutex(true)

    init(id: Int, fd: Int32) {
        self.id = id
        self.fd = fd
    }

    /// Sends one message; false when the peer is gone.
    @discardableResult
    public func send(_ message: Message) -> Bool {
        guard var line = try? JSONEncoder().encode(message) else { return false }
        line.append(UInt8(ascii: "\n"))
        let bytes = [UInt8](line)
        return open.withLock { isOpen in
            guard isOpen else { return false }
            if !UnixSocket.writeAll(fd, bytes) {
                isOpen = false
                return false
            }
            return true
        }
    }

    func close() {
        open.withLock { isOpen in
            if isOpen { shutdown(fd, Int32(SHUT_RDWR)) }
            isOpen = false
        }
    }

    var isOpen: Bool { open.withLock { $0 } }

    /// Reads messages until the peer disconnects; undecodable lines are logged and skipped.
    func readLoop(logger: Logger, onMessage: (Message) -> Void) {
        var reader = LineReader(fd: fd)
        let decoder = JSONDecoder()
        while let line = reader.next() {
            guard !line.isEmpty else { continue }
            do {
                onMessage(try decoder.decode(Message.self, from: Data(line)))
            } catch {
                logger.warning("Ignoring an undecodable IPC message", metadata: ["ipc.error": "\(error)"])
            }
        }
        close()
        Glibc.close(fd)
    }
}

/// The listening side of an IPC socket: accepts any number of peers, each served by its own
/// thread, and broadcasts to all of them.
public final class IPCServer<Message: Codable & Sendable>: Sendable {
    public typealias Peer = IPCPeer<Message>
    private let listenFD: Int32
    private let path: String
    private let peers = Mutex<[Int: Peer]>([:])
    private let logger: Logger

    /// Binds `path` (replacing a stale socket file) and starts accepting on a background thread.
    /// `onConnect` runs on the peer's thread before its first message is read.
    public init(
        path: String,
        logger: Logger,
        onConnect: @escaping @Sendable (Peer) -> Void = { _ in },
        onMessage: @escaping @Sendable (Peer, Message) -> Void
    ) throws {
        self.path = path
        self.logger = logger
        self.listenFD = try UnixSocket.listen(path: path)
        let listenFD = self.listenFD
        let thread = Thread { [self] in
            var nextID = 0
            while true {
                let fd = accept(listenFD, nil, nil)
                if fd < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return
                }
                nextID += 1
                let peer = Peer(id: nextID, fd: fd)
                self.peers.withLock { $0[peer.id] = peer }
                let peerThread = Thread { [self] in
                    onConnect(peer)
                    peer.readLoop(logger: self.logger) { onMessage(peer, $0) }
                    _ = self.peers.withLock { $0.removeValue(forKey: peer.id) }
                }
                peerThread.start()
            }
        }
        thread.start()
    }

    /// Sends `message` to every connected peer.
    public func broadcast(_ message: Message) {
        for peer in peers.withLock({ Array($0.values) }) { peer.send(message) }
    }

    public var peerCount: Int { peers.withLock { $0.count } }

    /// Stops accepting and disconnects every peer.
    public func close() {
        shutdown(listenFD, Int32(SHUT_RDWR))
        Glibc.close(listenFD)
        unlink(path)
        for peer in peers.withLock({ Array($0.values) }) { peer.close() }
    }
}

/// The connecting side of an IPC socket. Keeps reconnecting (with backoff up to 1 s) for as long
/// as it lives, so processes can start in any order and survive each other's restarts.
public final class IPCClient<Message: Codable & Sendable>: Sendable {
    private let current = Mutex<IPCPeer<Message>?>(nil)
    private let stopped = Mutex(false)

    /// Starts connecting to `path` on a background thread. `onConnect` runs after every
    /// (re)connection, before messages from that connection are delivered; `onDisconnect` after
    /// every loss of the connection.
    public init(
        path: String,
        logger: Logger,
        onConnect: @escaping @Sendable (IPCPeer<Message>) -> Void = { _ in },
        onDisconnect: @escaping @Sendable () -> Void = {},
        onMessage: @escaping @Sendable (Message) -> Void
    ) {
        let thread = Thread { [self] in
            var delay: UInt32 = 20_000
            var warned = false
            while !self.stopped.withLock({ $0 }) {
                guard let fd = try? UnixSocket.connect(path: path) else {
                    if !warned && delay >= 500_000 {
                        logger.info("Waiting for IPC socket", metadata: ["ipc.path": "\(path)"])
                        warned = true
                    }
                    usleep(delay)
                    delay = min(delay * 2, 1_000_000)
                    continue
                }
                delay = 20_000
                warned = false
                let peer = IPCPeer<Message>(id: 0, fd: fd)
                self.current.withLock { $0 = peer }
                logger.debug("Connected IPC socket", metadata: ["ipc.path": "\(path)"])
                onConnect(peer)
                peer.readLoop(logger: logger, onMessage: onMessage)
                self.current.withLock { $0 = nil }
                onDisconnect()
            }
        }
        thread.start()
    }

    /// Sends a message if connected; false otherwise.
    @discardableResult
    public func send(_ message: Message) -> Bool {
        current.withLock { $0 }?.send(message) ?? false
    }

    public var isConnected: Bool { current.withLock { $0?.isOpen ?? false } }

    /// Stops reconnecting and closes the connection.
    public func close() {
        stopped.withLock { $0 = true }
        current.withLock { $0 }?.close()
    }
}

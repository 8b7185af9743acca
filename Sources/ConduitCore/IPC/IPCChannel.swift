import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One connected peer on an IPC socket. ``send(_:)`` never blocks: messages go into a bounded
/// outgoing queue drained by the peer's own writer thread, so a process that stops reading can
/// never stall the sender (router's routing loop broadcasts through this). A peer whose queue
/// exceeds ``maxQueuedBytes`` is disconnected — it reconnects and catches up from the state on
/// disk — rather than waited for or allowed to grow memory without bound.
public final class IPCPeer<Outbound: Encodable & Sendable>: Sendable {
    public let id: Int
    private let fd: Int32
    private let outgoing = Mutex(Outgoing())
    private let wakeup = DispatchSemaphore(value: 0)
    private let maxQueuedBytes: Int

    private struct Outgoing {
        var lines: [[UInt8]] = []
        var bytes = 0
        var isOpen = true
    }

    /// The peer's process id, as the kernel reports it for the socket (`SO_PEERCRED`).
    public let processID: Int32?

    /// Starts the peer's writer thread (a peer is made by an accept or connect loop, which a
    /// service started).
    init(id: Int, fd: Int32, maxQueuedBytes: Int) {
        self.id = id
        self.fd = fd
        self.maxQueuedBytes = maxQueuedBytes
        // `struct ucred { pid_t pid; uid_t uid; gid_t gid; }`; Glibc's module hides it (it needs
        // _GNU_SOURCE), so it is read as three 32-bit fields. SO_PEERCRED is 17 on Linux.
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        processID = getsockopt(fd, SOL_SOCKET, 17, &credentials, &length) == 0 && credentials.pid > 0 ? credentials.pid : nil
        let thread = Thread { [self] in self.writeLoop() }
        thread.start()
    }

    /// Queues one message; false when the peer is gone or was just disconnected for falling
    /// behind.
    @discardableResult
    public func send(_ message: Outbound) -> Bool {
        guard var line = try? JSONEncoder().encode(message) else { return false }
        line.append(UInt8(ascii: "\n"))
        let bytes = [UInt8](line)
        let accepted = outgoing.withLock { state -> Bool? in
            guard state.isOpen else { return false }
            guard state.bytes + bytes.count <= maxQueuedBytes else { return nil }
            state.lines.append(bytes)
            state.bytes += bytes.count
            return true
        }
        guard let accepted else {
            close()
            return false
        }
        if accepted { wakeup.signal() }
        return accepted
    }

    /// Disconnects: the reader sees end of stream, the writer thread ends.
    func close() {
        let wasOpen = outgoing.withLock { state in
            defer {
                state.isOpen = false
                state.lines.removeAll()
                state.bytes = 0
            }
            return state.isOpen
        }
        if wasOpen { shutdown(fd, Int32(SHUT_RDWR)) }
        wakeup.signal()
    }

    var isOpen: Bool { outgoing.withLock { $0.isOpen } }

    /// Bytes waiting to be written (for tests and status).
    public var queuedBytes: Int { outgoing.withLock { $0.bytes } }

    private func writeLoop() {
        while true {
            wakeup.wait()
            let (batch, open) = outgoing.withLock { state in
                defer {
                    state.lines.removeAll(keepingCapacity: true)
                    state.bytes = 0
                }
                return (state.lines, state.isOpen)
            }
            guard open else { return }
            for line in batch where !UnixSocket.writeAll(fd, line) {
                close()
                return
            }
        }
    }

    /// Reads messages until the peer disconnects; undecodable lines are logged and skipped.
    func readLoop<Inbound: Decodable>(_: Inbound.Type, logger: Logger, onMessage: (Inbound) -> Void) {
        var reader = LineReader(fd: fd)
        let decoder = JSONDecoder()
        while let line = reader.next() {
            guard !line.isEmpty else { continue }
            do {
                onMessage(try decoder.decode(Inbound.self, from: Data(line)))
            } catch {
                logger.warning("Ignoring an undecodable IPC message", metadata: [LogKey.error: "\(error)"])
            }
        }
        close()
        Glibc.close(fd)
    }
}

/// How many bytes of messages may wait for a slow peer before it is disconnected.
public let defaultIPCQueueBytes = 16 << 20

/// The listening side of an IPC socket: accepts any number of peers, each read by its own
/// thread, and broadcasts to all of them without ever blocking on one.
public final class IPCServer<Inbound: Decodable & Sendable, Outbound: Encodable & Sendable>: Sendable {
    public typealias Peer = IPCPeer<Outbound>
    private let listenFD: Int32
    private let address: IPCAddress
    private let peers = Mutex<[Int: Peer]>([:])
    private let logger: Logger

    private let maxQueuedBytes: Int
    private let onConnect: @Sendable (Peer) -> Void
    private let onMessage: @Sendable (Peer, Inbound) -> Void

    /// Binds `path` (replacing a stale socket file); nothing is accepted until ``start()``.
    /// `onConnect` runs on the peer's thread before its first message is read.
    public convenience init(
        path: String,
        logger: Logger,
        maxQueuedBytes: Int = defaultIPCQueueBytes,
        onConnect: @escaping @Sendable (Peer) -> Void = { _ in },
        onMessage: @escaping @Sendable (Peer, Inbound) -> Void
    ) throws {
        try self.init(
            address: .unix(path: path), logger: logger, maxQueuedBytes: maxQueuedBytes, onConnect: onConnect, onMessage: onMessage)
    }

    /// Listens on `address` (a Unix socket path, replacing a stale socket file, or a TCP
    /// host:port); nothing is accepted until ``start()``.
    public init(
        address: IPCAddress,
        logger: Logger,
        maxQueuedBytes: Int = defaultIPCQueueBytes,
        onConnect: @escaping @Sendable (Peer) -> Void = { _ in },
        onMessage: @escaping @Sendable (Peer, Inbound) -> Void
    ) throws {
        self.address = address
        self.logger = logger
        self.maxQueuedBytes = maxQueuedBytes
        self.onConnect = onConnect
        self.onMessage = onMessage
        self.listenFD = try address.listen()
    }

    /// Starts accepting on a thread of its own (each peer then gets a reader and a writer
    /// thread). Called by the service that owns the socket, once.
    public func start() {
        let thread = Thread { [self] in
            var nextID = 0
            while true {
                let fd = accept(listenFD, nil, nil)
                if fd < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return
                }
                if case .tcp = address { TCPSocket.configure(fd) }
                nextID += 1
                let peer = Peer(id: nextID, fd: fd, maxQueuedBytes: maxQueuedBytes)
                self.peers.withLock { $0[peer.id] = peer }
                let peerThread = Thread { [self] in
                    onConnect(peer)
                    peer.readLoop(Inbound.self, logger: self.logger) { onMessage(peer, $0) }
                    _ = self.peers.withLock { $0.removeValue(forKey: peer.id) }
                }
                peerThread.start()
            }
        }
        thread.name = "ipc-accept"
        thread.start()
    }

    /// Queues `message` for every connected peer.
    public func broadcast(_ message: Outbound) {
        for peer in peers.withLock({ Array($0.values) }) { peer.send(message) }
    }

    public var peerCount: Int { peers.withLock { $0.count } }

    /// The process ids of the connected peers (from `SO_PEERCRED`), for status reports.
    public var peerProcessIDs: [Int32] { peers.withLock { $0.values.compactMap(\.processID) }.sorted() }

    /// Stops accepting and disconnects every peer.
    public func close() {
        shutdown(listenFD, Int32(SHUT_RDWR))
        Glibc.close(listenFD)
        if case .unix(let path) = address { unlink(path) }
        for peer in peers.withLock({ Array($0.values) }) { peer.close() }
    }
}

/// The connecting side of an IPC socket. Once started, keeps reconnecting (with backoff up to 100 ms on a Unix socket, 1 s over TCP) for as long
/// as it lives, so processes can start in any order and survive each other's restarts.
public final class IPCClient<Inbound: Decodable & Sendable, Outbound: Encodable & Sendable>: Sendable {
    private let current = Mutex<IPCPeer<Outbound>?>(nil)
    private let stopped = Mutex(false)

    private let address: IPCAddress
    private let logger: Logger
    private let maxQueuedBytes: Int
    private let onConnect: @Sendable (IPCPeer<Outbound>) -> Void
    private let onDisconnect: @Sendable () -> Void
    private let onMessage: @Sendable (Inbound) -> Void

    /// Connects to `path`, once ``start()`` is called. `onConnect` runs after every
    /// (re)connection, before messages from that connection are delivered; `onDisconnect` after
    /// every loss of the connection.
    public convenience init(
        path: String,
        logger: Logger,
        maxQueuedBytes: Int = defaultIPCQueueBytes,
        onConnect: @escaping @Sendable (IPCPeer<Outbound>) -> Void = { _ in },
        onDisconnect: @escaping @Sendable () -> Void = {},
        onMessage: @escaping @Sendable (Inbound) -> Void
    ) {
        self.init(
            address: .unix(path: path), logger: logger, maxQueuedBytes: maxQueuedBytes, onConnect: onConnect,
            onDisconnect: onDisconnect, onMessage: onMessage)
    }

    /// Connects to `address` (a Unix socket path or a TCP host:port), once ``start()`` is
    /// called, with the same reconnection and callbacks.
    public init(
        address: IPCAddress,
        logger: Logger,
        maxQueuedBytes: Int = defaultIPCQueueBytes,
        onConnect: @escaping @Sendable (IPCPeer<Outbound>) -> Void = { _ in },
        onDisconnect: @escaping @Sendable () -> Void = {},
        onMessage: @escaping @Sendable (Inbound) -> Void
    ) {
        self.address = address
        self.logger = logger
        self.maxQueuedBytes = maxQueuedBytes
        self.onConnect = onConnect
        self.onDisconnect = onDisconnect
        self.onMessage = onMessage
    }

    /// Starts connecting, on a thread of its own, until ``close()``. Called by the service that
    /// owns the connection, once.
    public func start() {
        let thread = Thread { [self] in
            var delay: UInt32 = 20_000
            var warned = false
            // A Unix socket's peer is on this host and failing to reach it costs a syscall: retry
            // often, so a restarted ingest or router is picked up within 100 ms, not a second.
            let maxDelay: UInt32
            if case .unix = address { maxDelay = 100_000 } else { maxDelay = 1_000_000 }
            while !self.stopped.withLock({ $0 }) {
                guard let fd = try? address.connect() else {
                    if !warned && delay >= maxDelay {
                        logger.info("Waiting for IPC socket", metadata: [LogKey.socket: "\(address)"])
                        warned = true
                    }
                    usleep(delay)
                    delay = min(delay * 2, maxDelay)
                    continue
                }
                delay = 20_000
                warned = false
                let peer = IPCPeer<Outbound>(id: 0, fd: fd, maxQueuedBytes: maxQueuedBytes)
                self.current.withLock { $0 = peer }
                if self.stopped.withLock({ $0 }) { peer.close() }
                logger.debug("Connected IPC socket", metadata: [LogKey.socket: "\(address)"])
                onConnect(peer)
                peer.readLoop(Inbound.self, logger: logger, onMessage: onMessage)
                self.current.withLock { $0 = nil }
                onDisconnect()
            }
        }
        thread.name = "ipc-connect"
        thread.start()
    }

    /// Queues a message if connected; false otherwise.
    @discardableResult
    public func send(_ message: Outbound) -> Bool {
        current.withLock { $0 }?.send(message) ?? false
    }

    public var isConnected: Bool { current.withLock { $0?.isOpen ?? false } }

    /// Stops reconnecting and closes the connection.
    public func close() {
        stopped.withLock { $0 = true }
        current.withLock { $0 }?.close()
    }
}

import Glibc
import NIOPosix
import Synchronization

/// Accepts connections from a listening socket other processes accept from too (systemd socket
/// activation), handing each to NIO as a connected socket.
///
/// NIO's server channel takes a readable listening socket to mean a connection is waiting; its
/// debug builds assert it (`BaseSocketChannel.readable0`). With several processes on one socket
/// every connection wakes them all and only one wins, so debug builds of serve crashed at the
/// first lost race. Here one thread of its own polls and accepts without blocking: losing the
/// race is just `EAGAIN`, and stopping is noticed within one poll interval.
final class SharedSocketAcceptor: Sendable {
    let descriptor: Int32
    private let thread: NIOThreadPool
    private let stopping = Atomic<Bool>(false)
    /// How long one poll waits, bounding how late ``stop()`` is noticed.
    private static let pollMilliseconds: Int32 = 200

    init(descriptor: Int32) {
        self.descriptor = descriptor
        self.thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
    }

    /// The descriptor of the next connection this process won; nil once ``stop()`` was called.
    func next() async throws -> Int32? {
        while !stopping.load(ordering: .relaxed) {
            if let connection = try await thread.runIfActive({ self.acceptOne() }) { return connection }
        }
        return nil
    }

    /// Makes ``next()`` return nil; the socket stays open for the other processes.
    func stop() { stopping.store(true, ordering: .relaxed) }

    /// Ends the accepting thread and closes this process's copy of the socket.
    func close() async {
        stop()
        try? await thread.shutdownGracefully()
        _ = Glibc.close(descriptor)
    }

    private func acceptOne() -> Int32? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Self.pollMilliseconds) > 0 else { return nil }
        let connection = accept(descriptor, nil, nil)
        if connection >= 0 {
            // serve starts no processes, so setting this after accept leaves no window that matters.
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            return connection
        }
        switch errno {
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
            // Out of descriptors or memory: back off as NIO's accept handler does, instead of
            // spinning on a connection that stays queued.
            usleep(100_000)
        default:
            // EAGAIN: another process won the race; ECONNABORTED, EINTR: try again.
            break
        }
        return nil
    }
}

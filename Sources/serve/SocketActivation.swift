import ConduitCore
import Glibc

/// Adopting the listening socket systemd passes on descriptor 3 (`sd_listen_fds(3)`).
///
/// With a `conduit-serve.socket` unit named in `Sockets=` of every `conduit-serve@N.service`,
/// all instances accept from one socket and one accept queue: an instance that dies takes only
/// the connections it had accepted with it, and queued ones go to the others.
enum SocketActivation {
    /// Checks that `descriptor` is a listening stream socket, keeps it from leaking into child
    /// processes, and clears the variables that described it, as `sd_listen_fds(1)` does.
    static func adopt(_ descriptor: Int32) throws(ConfigurationError) {
        guard isListeningStreamSocket(descriptor) else {
            throw ConfigurationError(
                variable: "LISTEN_FDS",
                value: "1",
                expected: "descriptor \(descriptor) to be a listening TCP socket (systemd socket activation)"
            )
        }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        // Non-blocking for ``SharedSocketAcceptor``: after a poll another process may take the
        // connection, and a blocking accept would then wait for the next one.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(name) }
    }

    static func isListeningStreamSocket(_ descriptor: Int32) -> Bool {
        func option(_ name: Int32) -> Int32? {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            return getsockopt(descriptor, SOL_SOCKET, name, &value, &length) == 0 ? value : nil
        }
        return option(SO_ACCEPTCONN) == 1 && option(SO_TYPE) == Int32(SOCK_STREAM.rawValue)
    }
}

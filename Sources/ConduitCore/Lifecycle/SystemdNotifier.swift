#if canImport(Glibc)
    import Glibc
#endif

/// `sd_notify(3)` without libsystemd: one datagram to the Unix socket systemd names in
/// `NOTIFY_SOCKET` (a path, or an abstract name starting with `@`). Units are `Type=notify`, so
/// systemd considers a process started only once it says `READY=1` (ingest: spool recovered and
/// `ingest.sock` listening; router: shapes loaded and `router.sock` listening; serve: listening),
/// and orders `After=` units accordingly.
///
/// Without `NOTIFY_SOCKET` (not under systemd) every call does nothing.
public enum SystemdNotifier {
    /// The process is ready to do its job.
    public static func ready(status: String? = nil) {
        notify("READY=1" + (status.map { "\nSTATUS=\($0)" } ?? ""))
    }

    /// Graceful shutdown began.
    public static func stopping() { notify("STOPPING=1") }

    /// A one-line status shown by `systemctl status`.
    public static func status(_ text: String) { notify("STATUS=\(text)") }

    /// Sends `state` (newline-separated `KEY=value` assignments); false when not under systemd
    /// or the datagram could not be sent.
    @discardableResult
    public static func notify(_ state: String) -> Bool {
        guard let variable = getenv("NOTIFY_SOCKET") else { return false }
        var path = Array(String(cString: variable).utf8)
        guard !path.isEmpty, path.count < 108 else { return false }
        if path[0] == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sockaddr, length) }
            }
        }
        return sent == message.count
    }
}

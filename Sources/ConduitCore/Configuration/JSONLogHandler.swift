import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A swift-log handler that writes one JSON object per line to standard error
/// (`CONDUIT_LOG_FORMAT=json`), for log shippers that index fields rather than parse text.
///
/// ```
/// {"ts":"2026-01-02T03:04:05.678Z","level":"info","process":"router","msg":"Shapes loaded","shape.count":"3"}
/// ```
/// Metadata keys are the ``LogKey`` names, so a query for `shape.handle` finds router's and
/// serve's lines alike. Each line goes out in one `write(2)`: lines from several threads never
/// interleave (a pipe or journald socket takes writes up to `PIPE_BUF` atomically, and
/// longer ones still arrive whole on a stream to a file).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    private let process: String

    public init(process: String, level: Logger.Level) {
        self.process = process
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = JSONWriter(capacity: 256)
        line.raw("{\"ts\":")
        line.string(Self.timestamp())
        line.raw(",\"level\":")
        line.string(event.level.rawValue)
        line.raw(",\"process\":")
        line.string(process)
        line.raw(",\"msg\":")
        line.string(event.message.description)
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        for key in merged.keys.sorted() where !["ts", "level", "process", "msg"].contains(key) {
            line.raw(",")
            line.string(key)
            line.raw(":")
            line.string("\(merged[key]!)")
        }
        line.raw("}\n")
        line.bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// UTC, millisecond precision, RFC 3339.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }
}

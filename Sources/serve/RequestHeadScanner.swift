/// Finds the end of an HTTP/1.1 request head in a byte stream and measures its two parts, so
/// an oversized request line gets 414 and an oversized header block 431 (RFC 9110 §15.5.15,
/// RFC 6585 §5) before the HTTP decoder has buffered either.
///
/// NIO's decoder has one limit for the URL and every header field and answers both with the same
/// `headerOverflow` error, which Hummingbird turns into a bare 400. This scanner only splits
/// lines: a line ends at LF (a CR before it is part of the terminator), the first non-empty line
/// is the request line, and the first empty line after it ends the head. Empty lines before the
/// request line are skipped, as RFC 9112 §2.2 asks. Anything else about syntax is left to the
/// decoder, which sees the same bytes.
struct RequestHeadScanner: Sendable, Equatable {
    enum Outcome: Equatable {
        /// The head continues past these bytes.
        case needMore
        /// The head ends after the first `consumed` bytes.
        case complete(consumed: Int)
        /// The request target is longer than the limit.
        case targetTooLong
        /// The header lines are larger than the limit.
        case headersTooLarge
    }

    let limits: RequestLimits
    /// True once any byte of this head arrived.
    private(set) var hasStarted = false
    private var inRequestLine = true
    /// Bytes of the current line before its LF (a trailing CR included).
    private var lineLength = 0
    private var lastWasCR = false
    /// Offsets of the request line's first and last space: the target lies between them.
    private var firstSpace: Int?
    private var lastSpace: Int?
    /// Bytes after the request line, terminators included.
    private var headerBytes = 0

    init(limits: RequestLimits) {
        self.limits = limits
    }

    /// Scans `bytes`, the next bytes of the stream, stopping at the end of the head.
    mutating func scan(_ bytes: some Sequence<UInt8>) -> Outcome {
        var consumed = 0
        for byte in bytes {
            consumed += 1
            hasStarted = true
            if !inRequestLine {
                headerBytes += 1
                if headerBytes > limits.maxHeaderBytes { return .headersTooLarge }
            }
            guard byte != UInt8(ascii: "\n") else {
                if let outcome = endLine(consumed: consumed) { return outcome }
                continue
            }
            if inRequestLine && byte == UInt8(ascii: " ") {
                if firstSpace == nil { firstSpace = lineLength }
                lastSpace = lineLength
            }
            lineLength += 1
            lastWasCR = byte == UInt8(ascii: "\r")
            if inRequestLine && lineLength > limits.maxRequestLineBytes { return .targetTooLong }
        }
        return .needMore
    }

    /// Handles an LF: ends the request line, a header line, or the head.
    private mutating func endLine(consumed: Int) -> Outcome? {
        let isEmpty = lineLength == 0 || (lineLength == 1 && lastWasCR)
        lineLength = 0
        lastWasCR = false
        if inRequestLine {
            guard !isEmpty else { return nil }  // an empty line before the request line
            inRequestLine = false
            if let first = firstSpace, let last = lastSpace, last - first - 1 > limits.maxURLBytes {
                return .targetTooLong
            }
            return nil
        }
        return isEmpty ? .complete(consumed: consumed) : nil
    }
}

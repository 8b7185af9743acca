import Testing

@testable import Serve

struct RequestHeadScannerTests {
    static let limits = RequestLimits(maxURLBytes: 1024, maxHeaderBytes: 1024)

    static func scan(_ text: String, byteByByte: Bool = false) -> RequestHeadScanner.Outcome {
        var scanner = RequestHeadScanner(limits: limits)
        let bytes = Array(text.utf8)
        guard byteByByte else { return scanner.scan(bytes) }
        var consumed = 0
        for byte in bytes {
            consumed += 1
            switch scanner.scan([byte]) {
            case .needMore: continue
            case .complete: return .complete(consumed: consumed)
            case let other: return other
            }
        }
        return .needMore
    }

    @Test(arguments: [false, true]) func findsTheEndOfAHead(byteByByte: Bool) {
        let head = "GET /v1/shape?table=items&offset=-1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"
        #expect(Self.scan(head + "GET / HTTP/1.1\r\n", byteByByte: byteByByte) == .complete(consumed: head.utf8.count))
        #expect(Self.scan(String(head.dropLast(2)), byteByByte: byteByByte) == .needMore)
    }

    @Test func acceptsBareLineFeedsAndSkipsEmptyLinesBeforeTheRequestLine() {
        let head = "\r\n\nGET / HTTP/1.1\nHost: x\n\n"
        #expect(Self.scan(head) == .complete(consumed: head.utf8.count))
    }

    @Test func aTargetAtTheLimitPassesAndOneByteMoreIsTooLong() {
        let target = "/" + String(repeating: "a", count: 1023)
        #expect(Self.scan("GET \(target) HTTP/1.1\r\n\r\n") == .complete(consumed: target.utf8.count + 17))
        #expect(Self.scan("GET \(target)a HTTP/1.1\r\n\r\n") == .targetTooLong)
    }

    /// A request line that never ends is refused once it cannot hold an acceptable target.
    @Test func anEndlessRequestLineIsRefusedWithoutItsEnd() {
        #expect(Self.scan("GET /" + String(repeating: "a", count: 1100), byteByByte: true) == .targetTooLong)
    }

    @Test func headerBlockOverTheLimitIsTooLarge() {
        let fits = "X: " + String(repeating: "v", count: 1024 - 7) + "\r\n"  // + final CRLF = 1024
        #expect(Self.scan("GET / HTTP/1.1\r\n" + fits + "\r\n") == .complete(consumed: 16 + 1024))
        let over = "X: " + String(repeating: "v", count: 1024 - 6) + "\r\n"
        #expect(Self.scan("GET / HTTP/1.1\r\n" + over + "\r\n", byteByByte: true) == .headersTooLarge)
        let endless = "GET / HTTP/1.1\r\n" + String(repeating: "X: y\r\n", count: 300)
        #expect(Self.scan(endless) == .headersTooLarge)
    }

    @Test func hasStartedOnlyOnceABytesArrived() {
        var scanner = RequestHeadScanner(limits: Self.limits)
        #expect(!scanner.hasStarted)
        _ = scanner.scan(Array("G".utf8))
        #expect(scanner.hasStarted)
    }
}

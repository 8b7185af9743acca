import ConduitCore
import Foundation

/// Scoped helpers for shape-log tests: a unique temporary folder per test.
enum ShapeLogTestSupport {
    static func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
        let path = FileManager.default.temporaryDirectory.path + "/shapelog-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    static func json(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A snapshot row of exactly `size` JSON bytes.
    static func row(_ id: Int, size: Int) -> [UInt8] {
        let prefix = "{\"key\":\"\(id)\",\"pad\":\""
        let padding = max(0, size - prefix.utf8.count - 2)
        return Array((prefix + String(repeating: "x", count: padding) + "\"}").utf8)
    }

    static func strings(_ entries: [ArraySlice<UInt8>]) -> [String] {
        entries.map { String(decoding: $0, as: UTF8.self) }
    }

    static func offset(_ text: String) -> LogOffset { LogOffset(text)! }

    /// Unwraps a ready plan, or nil for the other outcomes.
    static func ready(_ result: ShapeLogPlanResult) -> ShapeLogPlan? {
        if case .ready(let plan) = result { return plan }
        return nil
    }
}

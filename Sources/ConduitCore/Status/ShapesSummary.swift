/// The shapes in a storage directory at a glance: how many, the largest, the oldest.
///
/// Read from `shapes/` alone (folder names and file sizes), so it works with router stopped.
public struct ShapesSummary: Codable, Sendable, Equatable {
    public struct Shape: Codable, Sendable, Equatable {
        public var handle: String
        /// Bytes of its snapshot and change log files.
        public var bytes: UInt64
        /// Seconds since 1970 when it was created (from its handle).
        public var createdAt: Double?
    }

    public var count: Int
    public var totalBytes: UInt64
    public var largest: Shape?
    public var oldest: Shape?

    public init(count: Int, totalBytes: UInt64, largest: Shape?, oldest: Shape?) {
        self.count = count
        self.totalBytes = totalBytes
        self.largest = largest
        self.oldest = oldest
    }

    /// Scans `layout`'s shapes folder (one `stat` per log file).
    public static func scan(_ layout: StorageLayout) -> ShapesSummary {
        let handles = ((try? FileSystem.listDirectory(layout.shapesDirectory)) ?? []).filter { !$0.hasPrefix(".") }
        var summary = ShapesSummary(count: handles.count, totalBytes: 0, largest: nil, oldest: nil)
        for handle in handles {
            let directory = layout.shapeDirectory(handle)
            let bytes = ["snapshot.log", "changes.log"].reduce(UInt64(0)) { total, name in
                total + ((try? FileSystem.fileSize(directory + "/" + name)) ?? 0)
            }
            let shape = Shape(handle: handle, bytes: bytes, createdAt: Self.creationTime(handle: handle))
            summary.totalBytes += bytes
            if bytes > summary.largest?.bytes ?? 0 || summary.largest == nil { summary.largest = shape }
            if let created = shape.createdAt, created < summary.oldest?.createdAt ?? .infinity { summary.oldest = shape }
        }
        return summary
    }

    /// Handles are `<hash>-<microseconds since 1970>` (router's `mintHandle`).
    static func creationTime(handle: String) -> Double? {
        guard let dash = handle.lastIndex(of: "-"), let micros = UInt64(handle[handle.index(after: dash)...]) else { return nil }
        return Double(micros) / 1_000_000
    }
}

import ConduitCore
import Foundation
import NIOPosix
import Synchronization

/// Runs blocking file reads on NIO's thread pool, never on an event loop or the cooperative pool.
enum DiskIO {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}

/// Shape folders as serve sees them: `shape.json` cached in memory (router writes it once and
/// never changes it), plus the definitions router confirmed for each handle.
final class ShapeCatalog: Sendable {
    let layout: StorageLayout
    private let metadataCache = Mutex<[String: ShapeMetadata]>([:])
    /// Request definitions router answered with this handle although they differ from the one
    /// stored with the shape (router may normalize a definition): served without asking again.
    private let confirmed = Mutex<[String: Set<ShapeDefinition>]>([:])

    /// Set once the storage is known not to wait for router's replay of an earlier boot's commit
    /// journal; never unset (the boot cannot change under a running serve).
    private let recovered = Atomic<Bool>(false)

    init(layout: StorageLayout) {
        self.layout = layout
    }

    /// True while router has yet to replay a commit journal written before the machine's last
    /// boot (``CommitJournal/replayPending(path:)``): after an operating-system crash, a shape's
    /// published state may name bytes that only that replay puts back in its files.
    func awaitsJournalReplay() async throws -> Bool {
        if recovered.load(ordering: .relaxed) { return false }
        let path = layout.commitJournal
        let pending = try await DiskIO.run { try CommitJournal.replayPending(path: path) }
        if !pending { recovered.store(true, ordering: .relaxed) }
        return pending
    }

    /// A client-supplied handle may name only a folder directly inside `shapes/`.
    static func isPlausible(_ handle: String) -> Bool {
        !handle.isEmpty && handle.utf8.count <= 200 && !handle.hasPrefix(".") && !handle.contains("/")
            && !handle.contains("\0")
    }

    func reader(for metadata: ShapeMetadata) -> ShapeLogReader {
        ShapeLogReader(directory: layout.shapeDirectory(metadata.handle), stateLocation: metadata.stateLocation(in: layout))
    }

    /// The definition of `handle`, from memory or disk; nil when the shape does not exist.
    func metadata(for handle: String) async throws -> ShapeMetadata? {
        guard Self.isPlausible(handle) else { return nil }
        if let cached = metadataCache.withLock({ $0[handle] }) { return cached }
        let directory = layout.shapeDirectory(handle)
        guard let metadata = try await DiskIO.run({ try ShapeMetadata.read(fromDirectory: directory) }) else {
            return nil
        }
        metadataCache.withLock { $0[handle] = metadata }
        return metadata
    }

    /// True while the shape's definition is still on disk: its `changes.log`, or the `shape.json`
    /// of a shape an earlier release created (router deletes the folder when it drops a shape).
    func stillExists(_ handle: String) async -> Bool {
        guard Self.isPlausible(handle) else { return false }
        let files = ShapeLogFiles(directory: layout.shapeDirectory(handle))
        return (try? await DiskIO.run({ FileSystem.exists(files.changeLog) || FileSystem.exists(files.metadata) })) ?? false
    }

    /// Whether a request for `definition` may be served from `metadata`'s shape.
    func serves(_ definition: ShapeDefinition, from metadata: ShapeMetadata) -> Bool {
        metadata.definition == definition || confirmed.withLock { $0[metadata.handle]?.contains(definition) ?? false }
    }

    /// Remembers a confirmed definition; at most 64 per handle so clients cannot grow it unbounded.
    func confirm(_ definition: ShapeDefinition, for handle: String) {
        confirmed.withLock { table in
            if table[handle, default: []].count < 64 { table[handle, default: []].insert(definition) }
        }
    }

    /// Forgets a removed shape.
    func evict(_ handle: String) {
        metadataCache.withLock { _ = $0.removeValue(forKey: handle) }
        confirmed.withLock { _ = $0.removeValue(forKey: handle) }
    }
}

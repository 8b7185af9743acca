import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// A process-wide, least-recently-used cache of open shape-log file descriptors.
///
/// router keeps a ``ChangeLogWriter`` for every shape, and each writes several files per commit;
/// opening and closing them every time dominated the cost of a commit. The cache keeps up to
/// ``capacity`` descriptors open, so hot shapes never reopen their files, while any number of
/// shapes stays within the process's descriptor limit: past capacity, the least recently used
/// descriptor is dropped — if it has not been used for ``minimumIdleSeconds``. When every cached
/// descriptor was used more recently than that, the new one is handed out uncached (closed after
/// its operation) instead. Group commits sweep the touched shapes in the same order each time; a
/// plain LRU cache smaller than the sweep would evict every descriptor just before its next use
/// and miss every time, while this keeps a full cache of hits and opens only the rest.
///
/// Invariants:
/// - Entries are keyed by ``Key`` (an owner token plus a file number), not by path: each writer
///   has its own token (``makeOwner()``), so two writers never share a descriptor and a writer
///   that is gone (``removeAll(owner:)`` from its `deinit`) leaves nothing behind, not even for a
///   path that is later recreated.
/// - Eviction only drops the cache's reference. A ``PosixFile`` closes its descriptor
///   when its last reference goes away, so a write in flight on another thread (snapshot tasks,
///   tests) keeps the descriptor open until it returns: a descriptor is never closed, or reused
///   by the kernel for another file, under an operation.
/// - Evicted handles are released after the lock is dropped, so `close(2)` never runs under it.
/// - Thread-safe: every access goes through one `Mutex`; the critical sections are a dictionary
///   lookup and a few index updates.
public final class ShapeLogDescriptorCache: Sendable {
    /// One cached file: whose it is and which of its files.
    struct Key: Hashable, Sendable {
        var owner: UInt64
        var file: UInt8
    }

    /// The cache router's writers use.
    public static let shared = ShapeLogDescriptorCache(capacity: defaultCapacity())

    /// Largest number of descriptors kept open (operations in flight may briefly hold more).
    public let capacity: Int
    /// A full cache evicts only a descriptor unused for this long.
    public let minimumIdleSeconds: Double
    private let entries: Mutex<Entries>
    private let owners = Atomic<UInt64>(1)

    /// - Parameters:
    ///   - capacity: at least 1.
    ///   - minimumIdleSeconds: 0 makes a plain LRU cache.
    public init(capacity: Int, minimumIdleSeconds: Double = 30) {
        self.capacity = max(1, capacity)
        self.minimumIdleSeconds = minimumIdleSeconds
        self.entries = Mutex(Entries())
    }

    /// The `RLIMIT_NOFILE` soft limit less a reserve for everything else router opens (sockets
    /// to serve and ingest, PostgreSQL connections, spool segments, snapshot writers,
    /// libraries): a sixteenth of the limit, at least 1,024 or half a smaller limit. Capped at
    /// 65,536 and at least 16, after raising the soft limit to the hard limit when the system
    /// allows it. A commit writes two files per touched shape (`changes.log`, `changes.idx`):
    /// with the 20,000 descriptors this sandbox allows, half the limit (the earlier reserve)
    /// left half of a 10,000-shape commit's files to be opened and closed every time.
    /// `systemd/conduit-router.service` raises the limit.
    public static func defaultCapacity() -> Int {
        var limit = rlimit()
        #if os(Linux)
            let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
            let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return 256 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        // An unlimited soft limit reads as a huge number: the 65,536 cap applies to it too.
        return capacity(forLimit: UInt64(limit.rlim_cur))
    }

    /// ``defaultCapacity()`` for a descriptor limit of `limit`.
    static func capacity(forLimit limit: UInt64) -> Int {
        let reserve = max(limit / 16, min(1024, limit / 2))
        return Int(max(16, min(limit - reserve, 65_536)))
    }

    /// A token no other owner has; keys are `(token, file number)`.
    func makeOwner() -> UInt64 {
        owners.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// The open handle for `key`, opening `path` with `flags` on a miss (cached when there is
    /// room, see the type's notes). The caller holds the handle only for one operation.
    func handle(_ key: Key, path: String, flags: Int32) throws(ShapeLogError) -> PosixFile {
        let now = MonotonicClock.seconds()
        if let cached = entries.withLock({ $0.lookup(key, now: now) }) { return cached }
        let opened = try ShapeLogIO.open(path, flags: flags)
        adopt(key, opened, now: now)
        return opened
    }

    /// Caches `handle`, already open, under `key` (a writer's files just opened for recovery)
    /// when there is room, see the type's notes; otherwise it closes when its holder drops it.
    func adopt(_ key: Key, _ handle: PosixFile, now: Double = MonotonicClock.seconds()) {
        let idleBefore = now - minimumIdleSeconds
        let evicted = entries.withLock { $0.insert(key, handle, capacity: capacity, now: now, idleBefore: idleBefore) }
        withExtendedLifetime(evicted) {}
    }

    /// Forgets `key` (closing its descriptor unless an operation still holds it).
    func remove(_ key: Key) {
        let removed = entries.withLock { $0.remove(key) }
        withExtendedLifetime(removed) {}
    }

    /// Forgets every file of `owner`; `files` is how many file numbers the owner uses.
    func removeAll(owner: UInt64, files: UInt8) {
        let removed = entries.withLock { entries in
            (0..<files).compactMap { entries.remove(Key(owner: owner, file: $0)) }
        }
        withExtendedLifetime(removed) {}
    }

    /// Descriptors currently held by the cache.
    public var count: Int { entries.withLock { $0.slots.count } }

    /// A doubly linked recency list over reusable array slots, plus a key → slot dictionary.
    private struct Entries {
        struct Node {
            var key: Key
            var handle: PosixFile?
            /// `MonotonicClock` seconds of the last use.
            var used: Double
            /// Neighbours in recency order, -1 at the ends.
            var older: Int
            var newer: Int
        }

        var slots: [Key: Int] = [:]
        var nodes: [Node] = []
        var freeSlots: [Int] = []
        /// Most and least recently used slots, -1 when empty.
        var newest = -1
        var oldest = -1

        mutating func lookup(_ key: Key, now: Double) -> PosixFile? {
            guard let slot = slots[key] else { return nil }
            nodes[slot].used = now
            if slot != newest {
                unlink(slot)
                pushNewest(slot)
            }
            return nodes[slot].handle
        }

        /// Inserts or replaces `key`, evicting least recently used entries last used before
        /// `idleBefore` to make room; without room, caches nothing. Returns the handles dropped
        /// (to be released unlocked).
        mutating func insert(_ key: Key, _ handle: PosixFile, capacity: Int, now: Double, idleBefore: Double) -> [PosixFile] {
            var dropped: [PosixFile] = []
            if let slot = slots[key] {
                if let previous = nodes[slot].handle { dropped.append(previous) }
                nodes[slot].handle = handle
                nodes[slot].used = now
                unlink(slot)
                pushNewest(slot)
                return dropped
            }
            while slots.count >= capacity, oldest >= 0, nodes[oldest].used < idleBefore, let evicted = remove(nodes[oldest].key) {
                dropped.append(evicted)
            }
            guard slots.count < capacity else { return dropped }
            let node = Node(key: key, handle: handle, used: now, older: -1, newer: -1)
            let slot: Int
            if let free = freeSlots.popLast() {
                slot = free
                nodes[slot] = node
            } else {
                slot = nodes.count
                nodes.append(node)
            }
            slots[key] = slot
            pushNewest(slot)
            return dropped
        }

        mutating func remove(_ key: Key) -> PosixFile? {
            guard let slot = slots.removeValue(forKey: key) else { return nil }
            unlink(slot)
            let handle = nodes[slot].handle
            nodes[slot].handle = nil
            freeSlots.append(slot)
            return handle
        }

        private mutating func unlink(_ slot: Int) {
            let (older, newer) = (nodes[slot].older, nodes[slot].newer)
            if older >= 0 { nodes[older].newer = newer } else { oldest = newer }
            if newer >= 0 { nodes[newer].older = older } else { newest = older }
        }

        private mutating func pushNewest(_ slot: Int) {
            nodes[slot].older = newest
            nodes[slot].newer = -1
            if newest >= 0 { nodes[newest].newer = slot } else { oldest = slot }
            newest = slot
        }
    }
}

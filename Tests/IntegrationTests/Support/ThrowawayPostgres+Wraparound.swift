import ConduitCore
import Foundation
import Postgres

/// Moving a ``ThrowawayPostgres`` through transaction-id space: freezing, `pg_resetwal -x`, and
/// keeping a logical replication slot usable across the reset.
extension ThrowawayPostgres {
    /// `VACUUM FREEZE` in every database (template0 included, allowed connections for the
    /// moment), so every tuple written so far stays visible however far the xid counter jumps:
    /// a frozen tuple's xmin is never compared again, an unfrozen one more than 2^31 behind
    /// looks like it is in the future. Nothing else may hold back the freeze horizon: no open
    /// transaction, and no slot whose `catalog_xmin` is older than the catalog's rows (see
    /// ``moveSlot(_:restartLSN:catalogXmin:)``).
    func freezeEveryDatabase() throws {
        let admin = try connect()
        try admin.execute("ALTER DATABASE template0 ALLOW_CONNECTIONS true")
        do {
            let names = try admin.execute("SELECT datname FROM pg_database ORDER BY datname").rows.compactMap { $0.first ?? nil }
            for name in names { try connect(database: name).execute("VACUUM FREEZE") }
        } catch {
            _ = try? admin.execute("ALTER DATABASE template0 ALLOW_CONNECTIONS false")
            throw error
        }
        try admin.execute("ALTER DATABASE template0 ALLOW_CONNECTIONS false")
        // The two ALTERs wrote new pg_database row versions (a shared catalog): freeze them too.
        try admin.execute("VACUUM FREEZE pg_database")
    }

    /// Stopped cluster: `pg_resetwal` sets the next transaction id to `next` (epoch and 32-bit xid)
    /// and the oldest unfrozen one just below it, and discards the WAL (a new WAL begins at
    /// ``checkpointLocation()``).
    ///
    /// `-u` (oldest xid) close below the new xid keeps the wraparound stop limit (oldest + 2^31)
    /// far away; it is honest only because ``freezeEveryDatabase()`` ran first. `pg_xact` keeps
    /// 2 status bits per xid in 8 KiB pages, 32 pages a file: 1,048,576 xids per file, named
    /// `%04X` of `xid / 1048576`. PostgreSQL creates a page only when it hands out the page's first
    /// xid, so the page of an xid in the middle of one must exist: a zero-filled file provides it
    /// (zero means "in progress", and no tuple carries those xids). `pg_subtrans` is rebuilt at
    /// start-up and needs nothing.
    func resetWAL(nextFullXID next: UInt64) throws {
        let xid = UInt32(truncatingIfNeeded: next)
        precondition(xid >= 103, "pick an xid with room below it for -u")
        let segment = dataDirectory + "/pg_xact/" + String(format: "%04X", xid / 1_048_576)
        if !FileManager.default.fileExists(atPath: segment) {
            try runAsOwner("/bin/dd", ["if=/dev/zero", "of=\(segment)", "bs=262144", "count=1", "status=none"])
        }
        try runAsOwner(
            Self.binaries + "/pg_resetwal", ["-D", dataDirectory, "-x", String(xid), "-u", String(xid - 100), "-e", String(next >> 32)])
    }

    /// Stopped cluster: rewrites logical slot `name`'s `catalog_xmin` (and `restart_lsn`, when
    /// given) in its on-disk state, keeping `confirmed_flush` and everything else.
    ///
    /// A reset WAL would otherwise end the slot: decoding starts at `restart_lsn`, whose WAL
    /// `pg_resetwal` deleted, and a `catalog_xmin` from before the jump holds back (or, after it,
    /// confuses) the catalog horizon. Moved to the new WAL's first checkpoint the slot decodes
    /// again: the checkpoint's running-transactions record gives a consistent point, and
    /// transactions committing after the old `confirmed_flush` are sent, so the consumer's
    /// stream goes on without a gap (nothing decodable was written in between: the client had
    /// confirmed everything, then only freezing ran).
    ///
    /// `pg_replslot/<name>/state` (PostgreSQL 15, `ReplicationSlotOnDisk`, little-endian on this
    /// machine): magic 0x0105_1CA1 @0, CRC-32C @4 of bytes 8..<end, version 2 @8, length 184 @12,
    /// then `ReplicationSlotPersistentData`: name (64 bytes) @16, database @80, persistency @84,
    /// xmin @88, catalog_xmin @92, restart_lsn @96, invalidated_at @104, confirmed_flush @112, …
    func moveSlot(_ name: String, restartLSN: LSN? = nil, catalogXmin: UInt32) throws {
        let path = dataDirectory + "/pg_replslot/\(name)/state"
        guard var bytes = FileManager.default.contents(atPath: path).map({ [UInt8]($0) }) else {
            throw SupportError("no slot state at \(path)")
        }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            for index in 0..<(T.bitWidth / 8) { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
        }
        guard bytes.count == 200, u32(0) == 0x0105_1CA1, u32(8) == 2, u32(12) == 184 else {
            throw SupportError("\(path) is not a PostgreSQL 15 slot state file (\(bytes.count) bytes)")
        }
        put(catalogXmin, at: 92)
        if let restartLSN { put(restartLSN.value, at: 96) }
        put(CRC32C.checksum(Array(bytes[8...])), at: 4)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}

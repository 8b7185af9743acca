import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// Named crash points for fault-injection tests: `Failpoint.hit("spool.after-fsync")` does
/// nothing unless the process was started with that name in `CONDUIT_FAILPOINTS`, in which case
/// the process kills itself with SIGKILL right there, exactly as a power cut or an OOM kill would.
///
/// `CONDUIT_FAILPOINTS` is a comma-separated list of `name` (crash on the first hit) or
/// `name@N` (crash on the N-th hit, to reach a point in the middle of a load). Hits of points not
/// listed cost one dictionary lookup on an empty table. Every failpoint is listed in
/// ``Failpoint/names`` so tests can iterate over them and docs can name them.
public enum Failpoint {
    /// Every failpoint compiled into the processes, with where it sits.
    public static let names: [String: String] = [
        "spool.before-fsync": "ingest: a group-commit frame is written, not yet fsynced",
        "spool.after-fsync": "ingest: a frame is fsynced, not yet confirmed to PostgreSQL or announced to router",
        "spool.mid-frame": "ingest: half of a frame's bytes are written",
        "router.after-append": "router: entries appended to a shape log, its state not yet written",
        "router.after-state": "router: shape states written and synced, checkpoint not yet written",
        "router.after-checkpoint": "router: checkpoint written, serve and ingest not yet told",
        "router.mid-snapshot": "router: a snapshot copy has written some rows, not finished",
    ]

    private static let armed: Mutex<[String: Int]> = Mutex(parse(getenv("CONDUIT_FAILPOINTS").map { String(cString: $0) }))

    /// Parses `a,b@3` into `["a": 1, "b": 3]`; unknown names are kept (a typo then never fires,
    /// which the fault tests notice because the process does not die).
    static func parse(_ text: String?) -> [String: Int] {
        var result: [String: Int] = [:]
        for item in (text ?? "").split(separator: ",") {
            let parts = item.split(separator: "@", maxSplits: 1)
            let name = parts[0].trimmingCharacters(in: " ")
            guard !name.isEmpty else { continue }
            result[name] = parts.count == 2 ? max(1, Int(parts[1]) ?? 1) : 1
        }
        return result
    }

    /// Crashes the process here if `name` is armed and this is its configured hit.
    @inline(__always)
    public static func hit(_ name: String) {
        let fire = armed.withLock { table -> Bool in
            guard let remaining = table[name] else { return false }
            if remaining <= 1 {
                table[name] = nil
                return true
            }
            table[name] = remaining - 1
            return false
        }
        guard fire else { return }
        let line = Array("failpoint \(name) reached: killing the process\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        kill(getpid(), SIGKILL)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(drop(while: { $0 == set }).reversed().drop(while: { $0 == set }).reversed())
    }
}

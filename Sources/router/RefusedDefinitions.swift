import ConduitCore

/// Shape identities whose snapshot PostgreSQL refused (the where clause fails on the table's
/// rows), with the answer to give, for ``lifetime`` seconds.
///
/// Without it a client retrying after the 409 would create the shape again and again, each time
/// paying for a snapshot that fails the same way. Bounded: the oldest entry goes first.
struct RefusedDefinitions {
    /// Long enough to stop a retry loop, short enough that fixing the offending rows helps soon.
    static let lifetime: Double = 60
    static let capacity = 1024

    private var entries: [String: (rejection: ShapeRejection, until: Double)] = [:]

    mutating func refuse(_ identity: String, _ rejection: ShapeRejection, now: Double = MonotonicClock.seconds()) {
        if entries.count >= Self.capacity, let oldest = entries.min(by: { $0.value.until < $1.value.until })?.key {
            entries[oldest] = nil
        }
        entries[identity] = (rejection, now + Self.lifetime)
    }

    mutating func rejection(for identity: String, now: Double = MonotonicClock.seconds()) -> ShapeRejection? {
        guard let entry = entries[identity] else { return nil }
        guard entry.until > now else {
            entries[identity] = nil
            return nil
        }
        return entry.rejection
    }
}

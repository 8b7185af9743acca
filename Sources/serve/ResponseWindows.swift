import Synchronization

/// How many bytes of shape log each step of a response reads and hands to the connection.
///
/// Every step gets at least the configured window (``ServeConfiguration/responseWindowBytes``),
/// which bounds what a client that stops reading holds in serve (about two windows). A step of
/// twice that costs half the thread hops and buffer allocations per byte: in the read row
/// (`bench/alternate --only read`, eight rounds) serve's median went from 1,418 to 1,691 MB/s
/// with windows of 512 KiB instead of 256 KiB. So a step takes a double window when the process
/// can afford it: the extra halves of all double windows held at once stay within ``budget``
/// bytes, and past it steps are the configured size again. A slow client holds its double window
/// (and that part of the budget) only until the connection takes the window in.
final class ResponseWindows: Sendable {
    /// The configured window.
    let base: Int
    /// Bytes that double windows may hold beyond `base` each, in the whole process.
    let budget: Int
    private let available: Atomic<Int>

    /// `budget` defaults to 256 configured windows (64 MiB at 256 KiB).
    init(base: Int, budget: Int? = nil) {
        self.base = base
        self.budget = budget ?? base * 256
        self.available = Atomic(self.budget)
    }

    /// The size of the next step: held until the grant is released (the step's window has left
    /// serve), when a double window's extra bytes go back to the budget.
    func grant() -> Grant {
        var current = available.load(ordering: .relaxed)
        while current >= base {
            let (exchanged, original) = available.compareExchange(
                expected: current, desired: current - base, ordering: .acquiringAndReleasing)
            if exchanged { return Grant(windows: self, extra: base) }
            current = original
        }
        return Grant(windows: self, extra: 0)
    }

    /// Budget bytes not held by any grant (for tests and status).
    var unused: Int { available.load(ordering: .relaxed) }

    /// One step's window. A class so that its extra bytes return to the budget however the
    /// response ends (finished, failed, or its body never written): when the last reference goes.
    final class Grant: Sendable {
        /// Bytes the step may read.
        let bytes: Int
        private let windows: ResponseWindows
        private let extra: Int

        fileprivate init(windows: ResponseWindows, extra: Int) {
            self.windows = windows
            self.extra = extra
            self.bytes = windows.base + extra
        }

        deinit {
            if extra > 0 { windows.available.wrappingAdd(extra, ordering: .acquiringAndReleasing) }
        }
    }
}

import ConduitCore
import Dispatch
import Foundation
import Synchronization

/// Compresses mid-transaction spool frames on a thread of its own, so the thread reading the
/// replication socket keeps reading while zstd works (a 1 MiB frame takes milliseconds: long
/// enough for the walsender's socket buffer to fill and stall PostgreSQL).
///
/// Jobs are compressed strictly in submission order and results are collected in that order, so
/// frames reach the file in log order. At most ``maxInFlight`` jobs are outstanding, which bounds
/// the memory held here to a few frames.
final class FrameCompressionPipeline: Sendable {
    struct Job: Sendable {
        var batch: [UInt8]
        var recordCount: Int
        var flags: SpoolFrameFlags
        var lastCommitEnd: LSN?
    }

    let maxInFlight = 2
    private let state = Mutex<State>(State())
    private let jobsAvailable = DispatchSemaphore(value: 0)
    private let resultsAvailable = DispatchSemaphore(value: 0)

    private struct State {
        var queue: [Job] = []
        var results: [UInt64: Result<[UInt8], ZstdError>] = [:]
        var submitted: UInt64 = 0
        var compressed: UInt64 = 0
        var collected: UInt64 = 0
        var stopped = false
    }

    init(level: Int) throws(ZstdError) {
        let compressor = try ZstdCompressor()
        let transfer = CompressorTransfer(compressor)
        let thread = Thread { [self] in
            let compressor = transfer.compressor
            while true {
                jobsAvailable.wait()
                guard
                    let (sequence, job) = state.withLock({ state -> (UInt64, Job)? in
                        if state.queue.isEmpty { return nil }
                        defer { state.compressed += 1 }
                        return (state.compressed, state.queue.removeFirst())
                    })
                else {
                    if state.withLock({ $0.stopped }) { return }
                    continue
                }
                let result = Result { () throws(ZstdError) -> [UInt8] in
                    try SpoolFrameCodec.encodeFrame(
                        batch: job.batch, recordCount: job.recordCount, flags: job.flags,
                        lastCommitEnd: job.lastCommitEnd, compressor: compressor, level: level)
                }
                state.withLock { $0.results[sequence] = result }
                resultsAvailable.signal()
            }
        }
        thread.start()
    }

    deinit {
        state.withLock { $0.stopped = true }
        jobsAvailable.signal()
    }

    var inFlight: UInt64 { state.withLock { $0.submitted - $0.collected } }

    func submit(_ job: Job) {
        state.withLock { state in
            state.queue.append(job)
            state.submitted += 1
        }
        jobsAvailable.signal()
    }

    /// Finished frames in submission order. Waits until no more than `limit` jobs remain
    /// outstanding (0: all of them).
    func collect(leavingAtMost limit: UInt64) throws(ZstdError) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        while true {
            let (ready, remaining) = state.withLock { state -> ([Result<[UInt8], ZstdError>], UInt64) in
                var ready: [Result<[UInt8], ZstdError>] = []
                while let result = state.results.removeValue(forKey: state.collected) {
                    ready.append(result)
                    state.collected += 1
                }
                return (ready, state.submitted - state.collected)
            }
            for result in ready { frames.append(try result.get()) }
            if remaining <= limit { return frames }
            resultsAvailable.wait()
        }
    }
}

/// Moves the compressor into the pipeline's thread.
///
/// - Important: `@unchecked Sendable` because ownership moves: `init` creates the compressor,
///   hands it over and never touches it again; only the pipeline thread uses it.
private final class CompressorTransfer: @unchecked Sendable {
    let compressor: ZstdCompressor
    init(_ compressor: ZstdCompressor) { self.compressor = compressor }
}

import Foundation
import Testing

@testable import Spool

struct PgOutputDecodeBenchmark {
    /// Decode rate for ~100-byte Insert messages held in arrays (as the spool reader returns them).
    /// Prints messages/s; asserts nothing about time. Run with:
    /// `CONDUIT_SPOOL_BENCHMARK=1 swift test -c release --filter PgOutputDecodeBenchmark`
    @Test(.enabled(if: ProcessInfo.processInfo.environment["CONDUIT_SPOOL_BENCHMARK"] != nil))
    func decodeRate() throws {
        let messages = (0..<1_000).map { row in
            PgOutputTestEncoder.encode(
                .insert(
                    .init(
                        relationID: 16_385,
                        newTuple: TupleData(columns: [
                            PgOutputFixtures.text("\(row + 1_000_000)"), PgOutputFixtures.text("\(row)"),
                            PgOutputFixtures.text("5d41402abc4b2a76b9719d911017c592"), PgOutputFixtures.text("2026-11-27 23:43:58.123+00"),
                        ])
                    )
                )
            )
        }
        let clock = ContinuousClock()
        var columns = 0
        let start = clock.now
        for round in 0..<2_000 {
            for message in messages {
                if case .insert(let insert) = try PgOutputMessage(decoding: message) {
                    columns += insert.newTuple.columns.count + round & 0
                }
            }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("pgoutput decode: \(Int(2_000_000 / seconds)) Insert messages/s (\(columns) columns)")
    }
}

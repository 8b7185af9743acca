import ConduitCore
import Testing

@testable import Router

/// The where-clause limits router compiles and evaluates every clause with come from the
/// environment (`CONDUIT_WHERE_MAX_*`), each checked against its range.
struct RouterConfigurationTests {
    static let base = ["DATABASE_URL": "postgres://localhost/db"]

    @Test func rowWorkBudgetIsConfigurable() throws {
        #expect(try RouterConfiguration(environment: EnvironmentReader(Self.base), databaseRequired: false).whereLimits.maxRowWork == 20_000_000)
        var environment = Self.base
        environment["CONDUIT_WHERE_MAX_ROW_WORK"] = "50000"
        #expect(try RouterConfiguration(environment: EnvironmentReader(environment), databaseRequired: false).whereLimits.maxRowWork == 50_000)
        environment["CONDUIT_WHERE_MAX_ROW_WORK"] = "5"
        #expect(throws: ConfigurationError.self) { try RouterConfiguration(environment: EnvironmentReader(environment), databaseRequired: false) }
    }
}

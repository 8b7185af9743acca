import ArgumentParser
import ConduitCore
import Foundation
import Postgres

/// `router status`: the pipeline at a glance — slot and confirmed LSN, spool range, router's
/// checkpoint and lag, shapes, serve processes — from the storage directory, plus the slot as
/// PostgreSQL sees it when `DATABASE_URL` is set. Works whichever processes are running.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the pipeline's state: slot, spool, router checkpoint and lag, shapes, serve processes."
    )

    @OptionGroup var storage: StorageOption

    @Flag(name: .long, help: "Print JSON (the same document as serve's GET /v1/status).")
    var json = false

    @Flag(name: .long, help: "Do not ask PostgreSQL about the slot, even when DATABASE_URL is set.")
    var noDatabase = false

    func run() throws {
        let environment = storage.environment
        let layout = storage.layout
        var status = PipelineStatus.read(layout)
        if !noDatabase, let url = environment["DATABASE_URL"] {
            let slot =
                try status.ingest?.slot ?? StreamSettings(environment: environment, process: "router", databaseRequired: false).slotName
            status.slot = SlotProbe.read(databaseURL: url, slot: slot)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
        } else {
            print(status.text, terminator: "")
        }
    }
}

/// The replication slot as PostgreSQL reports it.
enum SlotProbe {
    static func read(databaseURL: String, slot: String) -> SlotStatus {
        do {
            let connection = try PostgresConnection(conninfo: databaseURL, connectTimeoutSeconds: 3)
            defer { connection.close() }
            let result = try connection.execute(
                """
                SELECT active::text, confirmed_flush_lsn::text AS confirmed, restart_lsn::text AS restart, wal_status,
                       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text AS retained
                FROM pg_replication_slots WHERE slot_name = $1
                """, parameters: [slot])
            guard !result.rows.isEmpty else {
                return SlotStatus(
                    name: slot, exists: false, active: false, confirmedFlushLSN: nil, restartLSN: nil, retainedWALBytes: nil,
                    walStatus: nil,
                    error: nil)
            }
            return SlotStatus(
                name: slot, exists: true, active: result.value(0, "active") == "true",
                confirmedFlushLSN: result.value(0, "confirmed").flatMap(LSN.init(string:)),
                restartLSN: result.value(0, "restart").flatMap(LSN.init(string:)),
                retainedWALBytes: result.value(0, "retained").flatMap(UInt64.init), walStatus: result.value(0, "wal_status"), error: nil)
        } catch {
            return SlotStatus(
                name: slot, exists: false, active: false, confirmedFlushLSN: nil, restartLSN: nil, retainedWALBytes: nil, walStatus: nil,
                error: "\(error)")
        }
    }
}

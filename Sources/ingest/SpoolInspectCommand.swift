import ArgumentParser
import ConduitCore
import Foundation
import Spool

/// `ingest spool-inspect`: what the spool holds, for an operator deciding whether shapes can be
/// rebuilt from it (`router replay`) or how far back it reaches. Read-only: safe beside a
/// running ingest (it reads only what a reader may, up to each segment's last whole frame).
struct SpoolInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool-inspect",
        abstract: "Print what the spool holds: segments, transactions, LSN range, tables, sizes (read-only)."
    )

    @OptionGroup var storage: StorageOption

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let layout = storage.layout
        let report = try SpoolInspection.inspect(directory: layout.spoolDirectory)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text, terminator: "")
        }
    }
}

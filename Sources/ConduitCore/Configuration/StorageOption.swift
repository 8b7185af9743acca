import ArgumentParser
import Foundation

/// `--storage-dir`, shared by the operator subcommands (`ingest spool-inspect`, `router status`,
/// `router replay`): the directory to work on, `$CONDUIT_STORAGE_DIR` (else `./conduit-data`)
/// when not given, exactly as the running processes resolve it.
public struct StorageOption: ParsableArguments {
    @Option(name: .long, help: "The storage directory (default: $CONDUIT_STORAGE_DIR, else ./conduit-data).")
    public var storageDir: String?

    public init() {}

    /// The environment, with `CONDUIT_STORAGE_DIR` replaced when `--storage-dir` was given.
    public var environment: EnvironmentReader {
        var environment = ProcessInfo.processInfo.environment
        if let storageDir { environment["CONDUIT_STORAGE_DIR"] = storageDir }
        return EnvironmentReader(environment)
    }

    public var layout: StorageLayout { StorageLayout(environment: environment) }
}

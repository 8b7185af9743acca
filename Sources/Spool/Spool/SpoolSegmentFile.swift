import ConduitCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// A segment file open for appending, with the writer's view of its size.
struct SpoolSegmentFile {
    var base: LSN
    var path: String
    var file: PosixFile
    /// Bytes written so far; the next frame goes here.
    var size: UInt64

    /// Creates a segment crash-safely: header and optional first frame are written to
    /// `<name>.tmp`, fsynced, renamed to the final name, and the directory is fsynced. A file with
    /// a segment name therefore always starts with a complete header.
    static func create(
        directory: String,
        header: SpoolSegmentHeader,
        firstFrame: [UInt8]?
    ) throws(SpoolError) -> SpoolSegmentFile {
        let path = directory + "/" + SpoolFormat.segmentFileName(base: header.base)
        let temporary = path + SpoolFormat.temporarySuffix
        do throws(FileError) {
            guard !FileSystem.exists(path) else {
                throw FileError(
                    operation: "create segment", path: path, errno: EEXIST, detail: "a segment with this base LSN already exists")
            }
            let file = try PosixFile(path: temporary, flags: O_RDWR | O_CREAT | O_TRUNC, mode: 0o644)
            var bytes = header.encoded()
            if let firstFrame { bytes += firstFrame }
            try file.write(bytes, at: 0)
            try file.sync()
            try FileSystem.rename(temporary, to: path)
            try FileSystem.syncDirectory(directory)
            // Reopened under its final name, so later errors name the segment, not the .tmp file.
            let final = try PosixFile(path: path, flags: O_RDWR)
            withExtendedLifetime(file) {}
            return SpoolSegmentFile(base: header.base, path: path, file: final, size: UInt64(bytes.count))
        } catch {
            throw .file(error)
        }
    }
}

/// Listing of the segment files in a spool directory.
public enum SpoolDirectory {
    /// Base LSNs of all segments in `directory`, in log order. Other files are ignored.
    public static func segments(in directory: String) throws(SpoolError) -> [LSN] {
        do throws(FileError) {
            return try FileSystem.listDirectory(directory).compactMap(SpoolFormat.segmentBase(fileName:)).sorted()
        } catch {
            throw .file(error)
        }
    }

    /// The path of the segment with base LSN `base`.
    public static func path(of base: LSN, in directory: String) -> String {
        directory + "/" + SpoolFormat.segmentFileName(base: base)
    }
}

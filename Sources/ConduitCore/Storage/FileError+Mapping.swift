extension FileError {
    /// Runs storage-layer calls and reports their failure in a domain's error type (the spool's
    /// `SpoolError.file`, the shape log's ``ShapeLogError/io(_:)``), so each domain keeps one
    /// typed error while every file operation goes through ``PosixFile`` and ``FileSystem``.
    @inline(__always)
    public static func mapped<T, E: Error>(to wrap: (FileError) -> E, _ body: () throws(FileError) -> T) throws(E) -> T {
        do {
            return try body()
        } catch {
            throw wrap(error)
        }
    }
}

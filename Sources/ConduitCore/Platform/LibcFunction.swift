#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    import Darwin
#endif

/// C library functions Swift's `Glibc` module map does not export (GNU extensions such as
/// `syncfs(2)` and `malloc_trim(3)`), looked up by name at run time.
public enum LibcFunction {
    /// The function `name` as `type` (a `@convention(c)` function type), or nil where the C
    /// library has no such symbol (and on platforms other than Linux).
    public static func lookup<Function>(_ name: String, as type: Function.Type) -> Function? {
        #if os(Linux)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
            return unsafeBitCast(symbol, to: type)
        #else
            return nil
        #endif
    }
}

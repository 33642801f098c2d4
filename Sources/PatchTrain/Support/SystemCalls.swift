#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The C library's file calls, spelled once for either platform: the module that holds them differs, and naming
/// it is what keeps a call from resolving to a Foundation or member function of the same name.
enum SystemCall {
    static func open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
        #if canImport(Glibc)
        Glibc.open(path, flags, mode)
        #else
        Darwin.open(path, flags, mode)
        #endif
    }

    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(fd, buffer, count)
        #else
        Darwin.read(fd, buffer, count)
        #endif
    }

    static func truncate(_ path: String, _ length: off_t) -> Int32 {
        #if canImport(Glibc)
        Glibc.truncate(path, length)
        #else
        Darwin.truncate(path, length)
        #endif
    }
}

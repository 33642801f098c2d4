#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The last line of defence for mapped files that shrink while they are read.
///
/// A mapped file cut short by another process (an overwrite in place, a copy still being written) turns every read
/// of a page past its new end into SIGBUS. Readers check the size before each pass over a file
/// (`MappedFile.checkNotShortened`, which throws an `InputError`), but a file can still shrink between that check
/// and the read, and some read paths (`VolumeSource.read`) cannot throw. So every mapping is registered here, and a
/// SIGBUS whose address lies in one ends the process with the usual one-line error naming the file and exit code 2,
/// instead of a crash. A SIGBUS anywhere else keeps its default action.
///
/// The handler runs in signal context: it reads only this fixed table (no allocation, no locks, no Swift runtime
/// calls) and uses `write` and `_exit`, which are async-signal-safe.
enum MappedRegions {
    static let capacity = 16384

    /// Three words per slot, in one anonymous mapping: its pages are zero until written and only the slots in use
    /// ever become resident (a few KiB for thousands of open volumes), which keeps it out of the memory plan.
    /// Slot i is in use when `starts[i] != 0`; `starts` is written last when registering, first when removing.
    nonisolated(unsafe) private static let table: UnsafeMutablePointer<UInt> = {
        let bytes = 3 * capacity * MemoryLayout<UInt>.stride
        let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        precondition(mapped != MAP_FAILED, "cannot map the table of mapped files")
        return mapped!.bindMemory(to: UInt.self, capacity: 3 * capacity)
    }()
    static var starts: UnsafeMutablePointer<UInt> { table }
    static var ends: UnsafeMutablePointer<UInt> { table + capacity }
    /// Each slot's path: a NUL-terminated copy (`strdup`), freed when the slot is.
    static var paths: UnsafeMutablePointer<UInt> { table + 2 * capacity }
    nonisolated(unsafe) private static var lock = pthread_mutex_t()
    private static let lockReady: Bool = { pthread_mutex_init(&lock, nil) == 0 }()
    private static let handlerInstalled: Bool = installHandler()

    /// Registers `[base, base + size)` as the mapping of `path`; returns its slot (nil when the table is full:
    /// the mapping then only has the size checks).
    static func register(base: UnsafeRawPointer, size: Int, path: String) -> Int? {
        _ = handlerInstalled
        _ = lockReady
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        for slot in 0..<capacity where starts[slot] == 0 {
            guard let name = strdup(path) else { return nil }
            paths[slot] = UInt(bitPattern: name)
            ends[slot] = UInt(bitPattern: base) + UInt(size)
            starts[slot] = UInt(bitPattern: base)
            return slot
        }
        return nil
    }

    static func unregister(_ slot: Int) {
        pthread_mutex_lock(&lock)
        starts[slot] = 0
        free(UnsafeMutableRawPointer(bitPattern: paths[slot]))
        paths[slot] = 0
        pthread_mutex_unlock(&lock)
    }

    private static func installHandler() -> Bool {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_sigaction = busErrorHandler
        #else
        action.__sigaction_u.__sa_sigaction = busErrorHandler
        #endif
        action.sa_flags = SA_SIGINFO
        sigemptyset(&action.sa_mask)
        return sigaction(SIGBUS, &action, nil) == 0
    }
}

/// The SIGBUS handler (see `MappedRegions`).
private func busErrorHandler(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    #if canImport(Glibc)
    let address = UInt(bitPattern: info?.pointee._sifields._sigfault.si_addr)
    #else
    let address = UInt(bitPattern: info?.pointee.si_addr)
    #endif
    for slot in 0..<MappedRegions.capacity {
        let start = MappedRegions.starts[slot]
        guard start != 0, address >= start, address < MappedRegions.ends[slot] else { continue }
        writeToStandardError("patchtrain: error: ")
        if let name = UnsafePointer<CChar>(bitPattern: MappedRegions.paths[slot]) { _ = write(2, name, strlen(name)) }
        writeToStandardError(": was cut short while being read (the file shrank after it was opened)\n")
        _exit(2)
    }
    // Not a mapped file's page: the default action (a crash with a core), which returning re-raises.
    var action = sigaction()
    #if canImport(Glibc)
    action.__sigaction_handler.sa_handler = SIG_DFL
    #else
    action.__sigaction_u.__sa_handler = SIG_DFL
    #endif
    sigaction(SIGBUS, &action, nil)
}

private func writeToStandardError(_ text: StaticString) {
    _ = write(2, text.utf8Start, text.utf8CodeUnitCount)
}

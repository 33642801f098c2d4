#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one block of memory every transient tensor of a step lives in: anonymous, page-aligned, of exactly the
/// planned size. Its pages become resident as tensors are first written and stay for the run, so the arena
/// costs the plan's arena bytes and nothing grows during training.
public final class Arena: @unchecked Sendable {
    public let size: Int
    public let base: UnsafeMutableRawPointer

    public init(size: Int) throws {
        self.size = max(size, MappedFile.pageSize)
        let mapped = mmap(nil, self.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw RuntimeFailure("cannot reserve the \(ByteCount.format(size)) arena (\(String(cString: strerror(errno))))")
        }
        base = mapped
    }

    deinit { munmap(base, size) }
}

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
    /// For a view: the arena whose memory this is (kept alive; only the owner unmaps).
    private let owner: Arena?

    /// A view of `size` bytes of `arena` from `offset` (page-aligned), for work that runs while the arena's own
    /// user is idle (validation inside a training run): no new memory.
    public init(borrowing arena: Arena, offset: Int = 0, size: Int) {
        precondition(offset % MappedFile.pageSize == 0, "a borrowed arena starts on a page")
        precondition(offset + size <= arena.size, "cannot borrow \(size) B at \(offset) from an arena of \(arena.size) B")
        self.size = size
        base = arena.base + offset
        owner = arena
    }

    public init(size: Int) throws {
        owner = nil
        self.size = max(size, MappedFile.pageSize)
        let mapped = mmap(nil, self.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw RuntimeFailure("cannot reserve the \(ByteCount.format(size)) arena (\(String(cString: strerror(errno))))")
        }
        base = mapped
    }

    deinit {
        if owner == nil { munmap(base, size) }
    }
}

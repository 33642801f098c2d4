// System calls Swift cannot reach through Glibc: `renameat2` is declared only under _GNU_SOURCE, which the
// Glibc module is not built with, and `syscall` is variadic, which Swift does not import. So a static inline
// wrapper here makes the call.
#include <errno.h>
#if defined(__linux__)
#include <unistd.h>
#include <sys/syscall.h>

/// Atomically exchanges two paths (both must exist): renameat2(from, to, RENAME_EXCHANGE). Returns 0, or -1
/// with errno set (EINVAL or ENOTSUP where the file system cannot exchange, ENOSYS on kernels before 3.15).
static inline int patchtrain_rename_exchange(int fromFolder, const char *from, int toFolder, const char *to) {
#if defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, fromFolder, from, toFolder, to, 2u /* RENAME_EXCHANGE, linux/fs.h */);
#else
    errno = ENOSYS;
    return -1;
#endif
}
#elif defined(__APPLE__)
#include <stdio.h>
static inline int patchtrain_rename_exchange(int fromFolder, const char *from, int toFolder, const char *to) {
    return renameatx_np(fromFolder, from, toFolder, to, RENAME_SWAP);
}
#else
static inline int patchtrain_rename_exchange(int fromFolder, const char *from, int toFolder, const char *to) {
    errno = ENOSYS;
    return -1;
}
#endif

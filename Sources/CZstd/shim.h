// The static-linking-only part of the API (ZSTD_initStaticCCtx/DCtx, the size estimates, ZSTD_getCParams) is
// needed to stream checkpoints through a preallocated, planned workspace; libzstd (1.5) exports these symbols
// from the shared library too.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

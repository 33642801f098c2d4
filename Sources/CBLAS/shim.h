// OpenBLAS's CBLAS interface (Debian: libopenblas-dev installs cblas.h in the multiarch include dir).
#include <cblas.h>
// Thread control lives in OpenBLAS's own header section of cblas.h; declared here for clarity.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

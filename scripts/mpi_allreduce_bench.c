/* Times what a data-parallel `fit` step communicates: an in-place MPI_Allreduce (sum) of the fp32 gradient in
 * buckets of 2^20 floats, as DataParallel does it. Build and run:
 *   mpicc -O2 -o allreduce_bench scripts/mpi_allreduce_bench.c
 *   mpirun -np 2 ./allreduce_bench [floats=5647908] [repetitions=20]
 * Prints the mean and minimum over the repetitions (after one warm-up), measured on rank 0. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    long count = argc > 1 ? atol(argv[1]) : 5647908;
    int repetitions = argc > 2 ? atoi(argv[2]) : 20;
    const long bucket = 1L << 20;
    float *gradient = malloc(count * sizeof(float));
    for (long i = 0; i < count; i++) gradient[i] = (float)(i % 1000) * 1e-6f;
    double total = 0, best = 1e30;
    for (int r = -1; r < repetitions; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double start = MPI_Wtime();
        for (long offset = 0; offset < count; offset += bucket) {
            long n = count - offset < bucket ? count - offset : bucket;
            MPI_Allreduce(MPI_IN_PLACE, gradient + offset, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        }
        double seconds = MPI_Wtime() - start;
        if (r >= 0) { total += seconds; if (seconds < best) best = seconds; }
    }
    if (rank == 0)
        printf("ranks %d, %ld floats (%.2f MB) in buckets of %ld: mean %.2f ms, min %.2f ms per allreduce\n",
               size, count, count * 4 / 1e6, bucket, total / repetitions * 1e3, best * 1e3);
    free(gradient);
    MPI_Finalize();
    return 0;
}

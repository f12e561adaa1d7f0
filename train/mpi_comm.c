/* The training loop's calls to the other ranks (ecg_train_comm, train/train.h) on MPI. Compiled
 * into ecgbench-mpi alone (the Makefile leaves it out of libecgbench): the library and the plain
 * ecgbench build and run where Open MPI is not installed. MPI's default error handler stays in
 * place, so a failed call ends every rank instead of leaving one waiting. */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>

#include "train/mpi_comm.h"

static int too_big(size_t n, char *err, size_t errlen) {
    if (n <= INT_MAX) return 0;
    snprintf(err, errlen, "%zu values are more than one MPI call carries (%d)", n, INT_MAX);
    return 1;
}

static int sum_float(void *ctx, float *buf, size_t n, char *err, size_t errlen) {
    (void)ctx;
    if (too_big(n, err, errlen)) return -1;
    return MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

static int sum_double(void *ctx, double *buf, size_t n, char *err, size_t errlen) {
    (void)ctx;
    if (too_big(n, err, errlen)) return -1;
    return MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

static int gather_float(void *ctx, float *buf, const int *counts, const int *displs, char *err, size_t errlen) {
    (void)ctx;
    (void)err;
    (void)errlen;
    return MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, MPI_FLOAT, MPI_COMM_WORLD) ==
                   MPI_SUCCESS
               ? 0
               : -1;
}

static int gather_u64(void *ctx, uint64_t mine, uint64_t *all, char *err, size_t errlen) {
    (void)ctx;
    (void)err;
    (void)errlen;
    return MPI_Allgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

static int barrier(void *ctx, char *err, size_t errlen) {
    (void)ctx;
    (void)err;
    (void)errlen;
    return MPI_Barrier(MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

int ecg_mpi_comm_init(ecg_train_comm *c, int *argc, char ***argv) {
    if (MPI_Init(argc, argv) != MPI_SUCCESS) return -1;
    *c = (ecg_train_comm){.sum_float = sum_float, .sum_double = sum_double, .gather_float = gather_float,
                          .gather_u64 = gather_u64, .barrier = barrier};
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->ranks);
    MPI_Comm node;
    c->local_ranks = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        MPI_Comm_size(node, &c->local_ranks);
        MPI_Comm_free(&node);
    }
    return 0;
}

void ecg_mpi_comm_end(int rc) {
    if (rc) MPI_Abort(MPI_COMM_WORLD, rc);
    MPI_Finalize();
}

/* ecgbench-mpi: `mpirun -np N ecgbench-mpi train MODEL --task TASK ...`, the train command as one
 * rank of a data-parallel run. A binary of its own rather than MPI inside ecgbench: linking
 * libmpi into ecgbench would make Open MPI a hard dependency of every command, and `make` and
 * `make test` must keep working where it is not installed (the Makefile builds this binary only
 * where mpicc is found). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "train/mpi_comm.h"

int main(int argc, char **argv) {
    ecg_train_comm comm;
    if (ecg_mpi_comm_init(&comm, &argc, &argv)) {
        fprintf(stderr, "ecgbench-mpi: MPI did not start\n");
        return 1;
    }
    if (argc < 2 || strcmp(argv[1], "train")) {
        if (comm.rank == 0)
            fprintf(stderr, "usage: mpirun -np N ecgbench-mpi train MODEL --task TASK [ecgbench train's options]\n"
                            "  (ecgbench-mpi runs the train command only; every other command: ecgbench)\n");
        ecg_mpi_comm_end(0);
        return 2;
    }
    ecg_cli_train_comm = &comm;
    int rc = ecg_cmd_train(argc - 1, argv + 1);
    /* a failed rank ends the others (MPI_Abort), which may be waiting for it in a step */
    ecg_mpi_comm_end(rc);
    return rc;
}

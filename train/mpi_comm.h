/* ecg_train_comm on MPI (train/mpi_comm.c; linked into ecgbench-mpi only). */
#ifndef ECG_TRAIN_MPI_COMM_H
#define ECG_TRAIN_MPI_COMM_H

#include "train/train.h"

/* MPI_Init, and c filled for MPI_COMM_WORLD. 0 ok, -1 when MPI did not start. */
int ecg_mpi_comm_init(ecg_train_comm *c, int *argc, char ***argv);
/* rc 0: MPI_Finalize; else MPI_Abort, which ends every rank (none is left waiting for this one). */
void ecg_mpi_comm_end(int rc);

#endif

/* Times XNNPACK's operator for a layer against an own kernel for it, on the layer's real shape,
 * buffers, batch and threadpool at create time (ops/xnn_sparse.c, ops/xnn_small.c keep the
 * faster). Candidates alternate, so load on the machine hits both alike. */
#include "xnn_lower.h"

#define WARMUP 2
#define SAMPLES 9
#define CALLS_PER_SAMPLE 4

int ecg_lower_time_pair(xnn_operator_t dense, ecg_kernel_fn own, void *arg, pthreadpool_t tp, double *t_dense,
                        double *t_own) {
    double td[SAMPLES], to[SAMPLES];
    for (int i = 0; i < WARMUP; i++) {
        if (xnn_run_operator(dense, tp) != xnn_status_success) return -1;
        own(arg, tp);
    }
    for (int i = 0; i < SAMPLES; i++) {
        double t0 = ecg_now_s();
        for (int k = 0; k < CALLS_PER_SAMPLE; k++)
            if (xnn_run_operator(dense, tp) != xnn_status_success) return -1;
        double t1 = ecg_now_s();
        for (int k = 0; k < CALLS_PER_SAMPLE; k++) own(arg, tp);
        double t2 = ecg_now_s();
        td[i] = t1 - t0;
        to[i] = t2 - t1;
    }
    *t_dense = ecg_median(td, SAMPLES) / CALLS_PER_SAMPLE;
    *t_own = ecg_median(to, SAMPLES) / CALLS_PER_SAMPLE;
    return 0;
}

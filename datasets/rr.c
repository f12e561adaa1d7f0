/* RR-interval features per beat (see datasets.h for the definitions and the edge rules). */
#include <math.h>
#include <stdio.h>

#include "datasets/datasets.h"

const char *const ecg_rr_feature_names[ECG_RR_N_FEATURES] = {
    "rr_pre_s", "rr_post_s", "rr_local_s", "rr_pre_norm", "rr_post_norm", "rr_local_norm", "rr_pre_local",
    "rr_post_local",
};

int ecg_rr_features(const double *t, int n, const char *what, float *out, char *err, size_t errlen) {
    if (n < 2) {
        snprintf(err, errlen, "%s: RR features need at least 2 beats, got %d", what, n);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (!isfinite(t[i]) || (i > 0 && !(t[i] > t[i - 1]))) {
            snprintf(err, errlen, "%s: beat %d at %.6g s is not after beat %d (%.6g s); beat times must increase",
                     what, i, t[i], i - 1, i > 0 ? t[i - 1] : NAN);
            return -1;
        }
    const int n_rr = n - 1;   /* interval k: beat k -> k+1 */
    const double record_mean = (t[n - 1] - t[0]) / n_rr;
    /* A sliding sum over the window's intervals keeps the whole record O(n). */
    double sum_lo = 0, sum_hi = 0;
    int lo = 0, hi = -1;   /* the window holds intervals lo..hi; its sum is sum_hi - sum_lo */
    for (int i = 0; i < n; i++) {
        double pre = i > 0 ? t[i] - t[i - 1] : t[1] - t[0];
        double post = i < n - 1 ? t[i + 1] - t[i] : t[n - 1] - t[n - 2];
        int want_lo = i - ECG_RR_LOCAL_HALF < 0 ? 0 : i - ECG_RR_LOCAL_HALF;
        int want_hi = i + ECG_RR_LOCAL_HALF - 1 > n_rr - 1 ? n_rr - 1 : i + ECG_RR_LOCAL_HALF - 1;
        while (hi < want_hi) hi++, sum_hi += t[hi + 1] - t[hi];
        while (lo < want_lo) sum_lo += t[lo + 1] - t[lo], lo++;
        double local = (sum_hi - sum_lo) / (hi - lo + 1);
        float *o = out + (size_t)i * ECG_RR_N_FEATURES;
        o[ECG_RR_PRE] = (float)pre;
        o[ECG_RR_POST] = (float)post;
        o[ECG_RR_LOCAL] = (float)local;
        o[ECG_RR_PRE_NORM] = (float)(pre / record_mean);
        o[ECG_RR_POST_NORM] = (float)(post / record_mean);
        o[ECG_RR_LOCAL_NORM] = (float)(local / record_mean);
        o[ECG_RR_PRE_LOCAL] = (float)(pre / local);
        o[ECG_RR_POST_LOCAL] = (float)(post / local);
    }
    return 0;
}

static void sort_small(double *v, int n) {
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double x = v[j];
            v[j] = v[j - 1], v[j - 1] = x;
        }
}

void ecg_rr_irregularity(const double *t, int n, const float *rr, float *out) {
    enum { SIDE = ECG_RR_IRREG_SIDE };
    for (int i = 0; i < n; i++) {
        double d[2 * SIDE];
        int m = 0;
        /* intervals k (beat k -> k+1) before the pre interval (i-1) and after the post interval (i) */
        const int sides[2][2] = {{i - 1 - SIDE, i - 2}, {i + 1, i + SIDE}};
        for (int s = 0; s < 2; s++) {
            int lo = sides[s][0] < 0 ? 0 : sides[s][0], hi = sides[s][1] > n - 2 ? n - 2 : sides[s][1];
            for (int k = lo; k < hi; k++) d[m++] = fabs((t[k + 2] - t[k + 1]) - (t[k + 1] - t[k]));
        }
        double median = 0;
        if (m > 0) {
            sort_small(d, m);
            median = m % 2 ? d[m / 2] : 0.5 * (d[m / 2 - 1] + d[m / 2]);
        }
        out[i] = (float)(median / rr[(size_t)i * ECG_RR_N_FEATURES + ECG_RR_LOCAL]);
    }
}

/* de Chazal et al. 2004 features per beat (the list is in baselines/dechazal.h).
 * Departures from the paper, all forced by what we have or kept deliberately simple:
 *   - filtering: our zero-phase 0.5-40 Hz Butterworth band-pass (ecg_bandpass) instead of their
 *     200 ms + 600 ms median filters (baseline) and 12-tap 35 Hz low-pass;
 *   - wave boundaries: our plain delineator (datasets/fiducials.c) on lead 1 instead of
 *     ecgpuwave; it gives the QRS duration, T-wave duration and P-wave flag;
 *   - T-wave morphology: 9 samples spread evenly over 150-500 ms after the annotation (43.75 ms
 *     apart, to the nearest sample); the paper's exact T sampling instants could not be
 *     checked here;
 *   - the average RR is the mean of the RR intervals between the beats within +-5 min of the
 *     beat (clipped to the record), local RR the 10 intervals around it (ecg_rr_features);
 *   - RR intervals run between the AAMI-classed beats (as mitdb-aami's RR features), so a
 *     non-beat annotation (rhythm, noise, a flutter wave '!') breaks no interval. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baselines/dechazal.h"
#include "datasets/datasets.h"
#include "datasets/fiducials.h"

void ecg_dechazal_feature_name(int i, char *buf, size_t n) {
    static const char *const shared[ECG_DC_N_SHARED] = {"pre_rr_s", "post_rr_s", "avg_rr_s", "local_rr_s",
                                                         "qrs_dur_s", "t_dur_s", "p_flag", "pre_rr_ratio",
                                                         "post_rr_ratio", "local_rr_ratio"};
    if (i < 0 || i >= ECG_DC_N_FEATURES) snprintf(buf, n, "?");
    else if (i < ECG_DC_N_SHARED) snprintf(buf, n, "%s", shared[i]);
    else {
        int lead = i < ECG_DC_LEAD2 ? 1 : 2, j = (i - ECG_DC_N_SHARED) % ECG_DC_MORPH;
        if (j < ECG_DC_QRS_SAMPLES) snprintf(buf, n, "lead%d_qrs_%d", lead, j);
        else snprintf(buf, n, "lead%d_t_%d", lead, j - ECG_DC_QRS_SAMPLES);
    }
}

static float at_clamped(const float *x, long n, long t) { return x[t < 0 ? 0 : t >= n ? n - 1 : t]; }

/* Sampling instants relative to the annotation, in seconds. */
static double qrs_offset_s(int j) { return -0.050 + j * (0.150 / (ECG_DC_QRS_SAMPLES - 1)); }
static double t_offset_s(int j) { return 0.150 + j * (0.350 / (ECG_DC_T_SAMPLES - 1)); }

static void morphology(const float *x, long n, double fs, long r, double *out) {
    for (int j = 0; j < ECG_DC_QRS_SAMPLES; j++) out[j] = at_clamped(x, n, r + lround(qrs_offset_s(j) * fs));
    for (int j = 0; j < ECG_DC_T_SAMPLES; j++)
        out[ECG_DC_QRS_SAMPLES + j] = at_clamped(x, n, r + lround(t_offset_s(j) * fs));
}

int ecg_dechazal_beat_features(const float *lead1, const float *lead2, long n, double fs, const long *r,
                               int n_beats, const char *what, double *out, char *err, size_t errlen) {
    if (n_beats < 2) {
        snprintf(err, errlen, "%s: de Chazal features need at least 2 beats (RR intervals), got %d", what, n_beats);
        return -1;
    }
    for (long t = 0; t < n; t++)
        if (!isfinite(lead2[t])) { /* lead 1 is checked by the delineator */
            snprintf(err, errlen, "%s: lead 2 sample %ld is not finite (%g)", what, t, (double)lead2[t]);
            return -1;
        }
    ecg_fiducials *fid = malloc((size_t)n_beats * sizeof *fid);
    double *t = malloc((size_t)n_beats * sizeof *t);
    float *rr = malloc((size_t)n_beats * ECG_RR_N_FEATURES * sizeof *rr);
    int rc = -1;
    char e2[512];
    if (!fid || !t || !rr) {
        snprintf(err, errlen, "%s: out of memory for %d beats", what, n_beats);
        goto out;
    }
    if (ecg_delineate(lead1, n, fs, r, n_beats, ECG_FIDUCIAL_P_FLOOR_MV, fid, e2, sizeof e2)) {
        snprintf(err, errlen, "%s (lead 1): %s", what, e2);
        goto out;
    }
    for (int i = 0; i < n_beats; i++) t[i] = (double)r[i] / fs;
    if (ecg_rr_features(t, n_beats, what, rr, err, errlen)) goto out;
    /* average RR over the beats a..b within +-ECG_DC_AVG_RR_HALF_S: (t_b - t_a) / (b - a) */
    int a = 0, b = 0;
    for (int i = 0; i < n_beats; i++) {
        while (t[i] - t[a] > ECG_DC_AVG_RR_HALF_S) a++;
        if (b < i) b = i;
        while (b + 1 < n_beats && t[b + 1] - t[i] <= ECG_DC_AVG_RR_HALF_S) b++;
        double *o = out + (size_t)i * ECG_DC_N_FEATURES;
        const float *q = rr + (size_t)i * ECG_RR_N_FEATURES;
        o[ECG_DC_PRE_RR] = q[ECG_RR_PRE];
        o[ECG_DC_POST_RR] = q[ECG_RR_POST];
        o[ECG_DC_AVG_RR] = b > a ? (t[b] - t[a]) / (b - a) : q[ECG_RR_PRE];
        o[ECG_DC_LOCAL_RR] = q[ECG_RR_LOCAL];
        o[ECG_DC_QRS_DUR] = (double)(fid[i].qrs_off - fid[i].qrs_on) / fs;
        o[ECG_DC_T_DUR] = (double)(fid[i].t_off - fid[i].qrs_off) / fs;
        o[ECG_DC_P_FLAG] = fid[i].p_present;
        o[ECG_DC_PRE_RATIO] = o[ECG_DC_PRE_RR] / o[ECG_DC_AVG_RR];
        o[ECG_DC_POST_RATIO] = o[ECG_DC_POST_RR] / o[ECG_DC_AVG_RR];
        o[ECG_DC_LOCAL_RATIO] = o[ECG_DC_LOCAL_RR] / o[ECG_DC_AVG_RR];
        morphology(lead1, n, fs, r[i], o + ECG_DC_LEAD1);
        morphology(lead2, n, fs, r[i], o + ECG_DC_LEAD2);
    }
    rc = 0;
out:
    free(fid);
    free(t);
    free(rr);
    return rc;
}

/* ---------------------------------------------------------------- records */

static int append_record(const char *dir, int record, ecg_dc_beats *b, char *err, size_t errlen) {
    char name[32], path[1200], what[1200];
    snprintf(name, sizeof name, "%d", record);
    snprintf(what, sizeof what, "%s/%d", dir, record);
    ecg_wfdb_header h;
    memset(&h, 0, sizeof h);
    int32_t *adc = NULL;
    ecg_wfdb_ann *ann = NULL;
    float *l1 = NULL, *l2 = NULL;
    long *r = NULL;
    int *cls = NULL, n_ann = 0, rc = -1, s1, s2;
    if (ecg_wfdb_read_record(dir, name, &h, &adc, NULL, err, errlen)) return -1;
    if (ecg_mitdb_mlii_and_other(&h, what, "the de Chazal baseline", &s1, &s2, err, errlen)) goto out;
    if (h.n_samples < 1 || ecg_wfdb_frame_width(&h, 0, h.n_sig) != h.n_sig) {
        snprintf(err, errlen, "%s.hea: needs its two signals at one sample per frame (%ld samples)", what,
                 h.n_samples);
        goto out;
    }
    snprintf(path, sizeof path, "%s/%d.atr", dir, record);
    if (ecg_wfdb_read_annotations(path, &ann, &n_ann, err, errlen)) goto out;
    r = malloc((size_t)(n_ann ? n_ann : 1) * sizeof *r);
    cls = malloc((size_t)(n_ann ? n_ann : 1) * sizeof *cls);
    if (!r || !cls) {
        snprintf(err, errlen, "%s: out of memory", what);
        goto out;
    }
    int n = ecg_mitdb_aami_beats(path, ann, n_ann, h.n_samples, r, cls, err, errlen);
    if (n < 0) goto out;
    if (!(l1 = ecg_mitdb_lead_mv(&h, adc, s1, what, err, errlen)) ||
        !(l2 = ecg_mitdb_lead_mv(&h, adc, s2, what, err, errlen)))
        goto out;
    double *x = realloc(b->x, (size_t)(b->n + n + 1) * ECG_DC_N_FEATURES * sizeof *x);
    if (x) b->x = x;
    int *y = realloc(b->y, (size_t)(b->n + n + 1) * sizeof *y);
    if (y) b->y = y;
    int *rec = realloc(b->record, (size_t)(b->n + n + 1) * sizeof *rec);
    if (rec) b->record = rec;
    if (!x || !y || !rec) {
        snprintf(err, errlen, "%s: out of memory", what);
        goto out;
    }
    if (ecg_dechazal_beat_features(l1, l2, h.n_samples, h.fs, r, n, what, b->x + (size_t)b->n * ECG_DC_N_FEATURES,
                                   err, errlen))
        goto out;
    for (int i = 0; i < n; i++) b->y[b->n + i] = cls[i], b->record[b->n + i] = record;
    b->n += n;
    rc = 0;
out:
    free(l1);
    free(l2);
    free(r);
    free(cls);
    free(ann);
    free(adc);
    ecg_wfdb_header_free(&h);
    return rc;
}

int ecg_dechazal_load_set(const char *data_dir, const char *set, ecg_dc_beats *b, char *err, size_t errlen) {
    memset(b, 0, sizeof *b);
    const int *recs;
    int n_recs = ecg_mitdb_record_set(set, &recs);
    if (n_recs < 0) {
        snprintf(err, errlen, "de Chazal features: unknown record set '%s' (known: ds1, ds2)", set ? set : "(null)");
        return -1;
    }
    char dir[1100], probe[1200];
    snprintf(dir, sizeof dir, "%s/mitdb", data_dir ? data_dir : ".");
    snprintf(probe, sizeof probe, "%s/SAMPLE", dir);
    int sample = access(probe, F_OK) == 0;
    for (int i = 0; i < n_recs; i++) {
        snprintf(probe, sizeof probe, "%s/%d.hea", dir, recs[i]);
        if (sample && access(probe, F_OK) != 0) continue; /* the bundled subset: the records present */
        if (append_record(dir, recs[i], b, err, errlen)) {
            ecg_dc_beats_free(b);
            return -1;
        }
    }
    return 0;
}

void ecg_dc_beats_free(ecg_dc_beats *b) {
    free(b->x);
    free(b->y);
    free(b->record);
    memset(b, 0, sizeof *b);
}

/* The classical baseline of de Chazal, O'Dwyer & Reilly, "Automatic classification of heartbeats
 * using ECG morphology and heartbeat interval features", IEEE TBME 51(7):1196-1206, 2004: linear
 * discriminants on RR-interval, heartbeat-interval and sampled-morphology features of both
 * MIT-BIH leads, trained on DS1 and tested on DS2. Features: baselines/dechazal_features.c;
 * the linear discriminant and its Cholesky solve: baselines/dechazal_lda.c; the classifier
 * (one discriminant per lead, posteriors averaged), its cross-validation and its JSON form:
 * baselines/dechazal.c; the command: cli/cmd_baseline.c. Every departure from the paper is
 * listed where it is made and in the README section on this baseline. */
#ifndef ECG_DECHAZAL_H
#define ECG_DECHAZAL_H

#include <stddef.h>

#include "train/train.h"

/* ---------------------------------------------------------------- features (dechazal_features.c) */
/* Per beat, in this order (times in seconds, amplitudes in mV):
 *   0 pre-RR, 1 post-RR, 2 average RR (mean RR over the beats within +-5 min), 3 local RR (the
 *   10 intervals around the beat, ecg_rr_features), 4 QRS duration, 5 T-wave duration (QRS
 *   offset to T end), 6 P-wave flag (0/1) -- from datasets/fiducials.c on lead 1;
 *   7, 8, 9 pre-RR, post-RR and local RR divided by the average RR (not in the paper: a
 *   candidate, since a linear discriminant cannot form a ratio from the raw intervals);
 *   10..19 lead 1 QRS morphology: 10 samples from 50 ms before to 100 ms after the annotation,
 *   every 1/60 s; 20..28 lead 1 T-wave morphology: 9 samples from 150 to 500 ms after it
 *   (evenly spaced, 43.75 ms apart); 29..47 the same two for lead 2. */
#define ECG_DC_QRS_SAMPLES 10
#define ECG_DC_T_SAMPLES 9
#define ECG_DC_N_SHARED 10
#define ECG_DC_MORPH (ECG_DC_QRS_SAMPLES + ECG_DC_T_SAMPLES)
#define ECG_DC_N_FEATURES (ECG_DC_N_SHARED + 2 * ECG_DC_MORPH)
#define ECG_DC_AVG_RR_HALF_S 300.0
enum { ECG_DC_PRE_RR, ECG_DC_POST_RR, ECG_DC_AVG_RR, ECG_DC_LOCAL_RR, ECG_DC_QRS_DUR, ECG_DC_T_DUR, ECG_DC_P_FLAG,
       ECG_DC_PRE_RATIO, ECG_DC_POST_RATIO, ECG_DC_LOCAL_RATIO,
       ECG_DC_LEAD1 = ECG_DC_N_SHARED, ECG_DC_LEAD2 = ECG_DC_N_SHARED + ECG_DC_MORPH };
/* Name of feature i ("pre_rr_s", "lead2_t_3", ...) into buf. */
void ecg_dechazal_feature_name(int i, char *buf, size_t n);

/* Features of n_beats >= 2 beats at sample positions r (strictly increasing, inside [0, n)) of
 * two band-passed leads of n samples at fs Hz. out: n_beats * ECG_DC_N_FEATURES, beat-major.
 * Morphology samples that fall outside the record take the edge sample (as mitdb-aami's windows
 * do). Errors (non-finite signal, bad positions, fewer than 2 beats) name `what`. */
int ecg_dechazal_beat_features(const float *lead1, const float *lead2, long n, double fs, const long *r,
                               int n_beats, const char *what, double *out, char *err, size_t errlen);

/* Every AAMI-classed beat of a MIT-BIH record set ("ds1", "ds2") under data_dir/mitdb, in the
 * record order of ecg_mitdb_record_set and the annotation order within a record: the same beats,
 * in the same order, as mitdb-aami's split of that name. Lead 1 is MLII, lead 2 the record's
 * other signal (V1 in most, V2/V4/V5 in a few; 114 stores them swapped); both band-passed
 * 0.5-40 Hz (ecg_bandpass) in mV. A folder marked SAMPLE uses the records present. */
typedef struct {
    int n;
    double *x;     /* n * ECG_DC_N_FEATURES */
    int *y;        /* AAMI class */
    int *record;   /* MIT-BIH record number */
} ecg_dc_beats;
int ecg_dechazal_load_set(const char *data_dir, const char *set, ecg_dc_beats *b, char *err, size_t errlen);
void ecg_dc_beats_free(ecg_dc_beats *b);

/* ---------------------------------------------------------------- linear discriminant (dechazal_lda.c) */
/* Cholesky factor of a symmetric positive-definite n x n matrix (row-major; the lower triangle
 * is read): a = L L^T with L written over the lower triangle. -1 when a pivot is not positive
 * and finite (the matrix is not positive definite), a left partly overwritten. */
int ecg_cholesky(double *a, int n);
/* Solves L L^T x = b in place (b holds n values) with L from ecg_cholesky. */
void ecg_cholesky_solve(const double *l, int n, double *b);

#define ECG_LDA_MAX_P 64
#define ECG_LDA_MAX_K 8
/* Gaussian classes with one shared covariance: g_k(z) = w_k.z + b_k on the standardised
 * features z = (x[cols] - shift) / scale, posteriors softmax(g) over the classes seen in
 * training (an unseen class is never predicted). */
typedef struct {
    int k, p;
    int cols[ECG_LDA_MAX_P];           /* columns of a feature row it reads */
    double shift[ECG_LDA_MAX_P], scale[ECG_LDA_MAX_P];
    double w[ECG_LDA_MAX_K][ECG_LDA_MAX_P], b[ECG_LDA_MAX_K];
    int present[ECG_LDA_MAX_K];
} ecg_lda;
/* Fits on the rows i < n of x (row stride `stride`) with use[i] != 0 (use NULL: all), reading
 * columns cols[0..p), labels y in [0, k). balanced = 1 is de Chazal's weighting: every class
 * counts as if the classes were equally frequent (equal priors; the covariance is the mean of
 * the per-class covariances); 0: priors and the pooled covariance from the counts. ridge is
 * added to the diagonal of the covariance of the standardised features (>= 0). Errors: bad
 * sizes or labels, non-finite features, fewer than 2 classes seen, a covariance that is not
 * positive definite. */
int ecg_lda_fit(const double *x, int n, int stride, const unsigned char *use, const int *cols, int p, const int *y,
                int k, int balanced, double ridge, ecg_lda *m, char *err, size_t errlen);
/* Posterior probabilities (k values) of one feature row. */
void ecg_lda_posteriors(const ecg_lda *m, const double *row, double *post);

/* ---------------------------------------------------------------- classifier (dechazal.c) */
/* One candidate. config: "fusion" (the paper's: one discriminant on the shared and lead 1
 * features, one on the shared and lead 2 features, posteriors averaged), "lead1" (one
 * discriminant, shared + lead 1), "all" (one, shared + both leads), "rr" (one, the RR features
 * alone). rr: "raw" (the paper's pre, post, average, local RR) or "ratio" (pre, post and local
 * RR over the average RR). intervals: the QRS duration, T duration and P flag in the shared
 * features (the paper: yes). train_q: train on the Q beats too (the paper: yes; DS1 holds 8, so
 * with equal priors Q's mean rests on 8 beats); without, Q is never predicted. */
typedef struct {
    char config[16];
    char rr[8];
    int intervals, train_q;
    double ridge;
} ecg_dc_options;
#define ECG_DC_MAX_LDA 2
typedef struct {
    ecg_dc_options opt;
    int n_lda;
    ecg_lda lda[ECG_DC_MAX_LDA];
} ecg_dechazal;
/* Classes are the AAMI five (N, S, V, F, Q); balanced weighting as the paper. use: rows of b to
 * train on (NULL: all). */
int ecg_dechazal_fit(const ecg_dc_beats *b, const unsigned char *use, const ecg_dc_options *o, ecg_dechazal *m,
                     char *err, size_t errlen);
/* "fusion/ratio/int/q/0.1": the options in a few characters (tables, logs). */
void ecg_dc_options_name(const ecg_dc_options *o, char *buf, size_t n);
/* The class with the largest averaged posterior (the first on ties). */
int ecg_dechazal_predict(const ecg_dechazal *m, const double *row);
/* Confusion of m on every beat of b. */
void ecg_dechazal_evaluate(const ecg_dechazal *m, const ecg_dc_beats *b, ecg_metrics *out);
/* Leave-one-record-out cross-validation over b's records (each fold trains on the others and
 * predicts the held-out record); the pooled confusion of all held-out predictions. */
int ecg_dechazal_cv(const ecg_dc_beats *b, const ecg_dc_options *o, ecg_metrics *out, char *err, size_t errlen);
/* Parameter count (weights and biases of the discriminants). */
int ecg_dechazal_params(const ecg_dechazal *m);
/* The model as JSON ({config, rr, intervals, train_q, ridge, classes, discriminants: [{features,
 * shift, scale, present, weights, biases}]}; doubles round-trip exactly) and back. */
typedef struct cJSON cJSON;
cJSON *ecg_dechazal_to_json(const ecg_dechazal *m);
int ecg_dechazal_from_json(const cJSON *j, ecg_dechazal *m, char *err, size_t errlen);

#endif

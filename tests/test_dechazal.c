/* de Chazal baseline: the Cholesky solve against a naive one, the linear discriminant against the
 * Bayes boundary of two Gaussian classes, the delineator on a synthetic beat with known wave
 * boundaries, bad input, the model's JSON round trip, and record 100's first beats when the data
 * is at hand. The full DS1 -> DS2 run (about 80 s in release) is left to `ecgbench baseline
 * dechazal`. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/dechazal.h"
#include "datasets/datasets.h"
#include "datasets/fiducials.h"
#include "harness.h"

typedef struct {
    uint64_t s;
} lcg;
static double uniform(lcg *g) {
    g->s = g->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(g->s >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(lcg *g) { return sqrt(-2 * log(uniform(g))) * cos(2 * M_PI * uniform(g)); }

/* ---------------------------------------------------------------- Cholesky */

static void test_cholesky_vs_naive(void) {
    enum { N = 30 };
    lcg g = {7};
    double b[N * N], a[N * N], l[N * N], rhs[N], x[N], aug[N][N + 1];
    for (int i = 0; i < N * N; i++) b[i] = gauss(&g);
    for (int i = 0; i < N; i++) /* a = B B^T + I: symmetric positive definite */
        for (int j = 0; j < N; j++) {
            double s = i == j;
            for (int k = 0; k < N; k++) s += b[i * N + k] * b[j * N + k];
            a[i * N + j] = s;
        }
    for (int i = 0; i < N; i++) rhs[i] = gauss(&g);
    memcpy(l, a, sizeof a);
    CHECK(ecg_cholesky(l, N) == 0, "SPD matrix rejected");
    memcpy(x, rhs, sizeof x);
    ecg_cholesky_solve(l, N, x);
    /* naive: Gaussian elimination with partial pivoting on [A | b] */
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) aug[i][j] = a[i * N + j];
        aug[i][N] = rhs[i];
    }
    for (int c = 0; c < N; c++) {
        int p = c;
        for (int r = c + 1; r < N; r++)
            if (fabs(aug[r][c]) > fabs(aug[p][c])) p = r;
        for (int j = 0; j <= N; j++) {
            double t = aug[c][j];
            aug[c][j] = aug[p][j];
            aug[p][j] = t;
        }
        for (int r = c + 1; r < N; r++) {
            double f = aug[r][c] / aug[c][c];
            for (int j = c; j <= N; j++) aug[r][j] -= f * aug[c][j];
        }
    }
    double naive[N];
    for (int i = N - 1; i >= 0; i--) {
        double s = aug[i][N];
        for (int j = i + 1; j < N; j++) s -= aug[i][j] * naive[j];
        naive[i] = s / aug[i][i];
    }
    CHECK(rel_err_d(x, naive, N) < 1e-9, "Cholesky solve differs from elimination: rel err %g", rel_err_d(x, naive, N));
    double resid = 0;
    for (int i = 0; i < N; i++) {
        double s = -rhs[i];
        for (int j = 0; j < N; j++) s += a[i * N + j] * x[j];
        resid = fmax(resid, fabs(s));
    }
    CHECK(resid < 1e-8, "residual %g", resid);
    double bad[4] = {1, 2, 2, 1}; /* eigenvalues 3 and -1 */
    CHECK(ecg_cholesky(bad, 2) == -1, "an indefinite matrix passed");
    double nanm[1] = {NAN};
    CHECK(ecg_cholesky(nanm, 1) == -1, "NaN pivot passed");
}

/* ---------------------------------------------------------------- LDA */

/* Two classes N((0,0), I) and N((2,0), I), n0 and n1 draws: the Bayes boundary is x = 1 for
 * equal priors and x = 1 + ln(n0/n1) / 2 for priors n0 : n1. The second feature is noise. */
static void check_boundary(int n0, int n1, int balanced, double want_x) {
    const int n = n0 + n1;
    double *x = malloc((size_t)n * 2 * sizeof *x);
    int *y = malloc((size_t)n * sizeof *y);
    lcg g = {11};
    for (int i = 0; i < n; i++) {
        y[i] = i >= n0;
        x[2 * i] = gauss(&g) + 2.0 * y[i];
        x[2 * i + 1] = gauss(&g);
    }
    ecg_lda m;
    char err[256] = "";
    const int cols[2] = {0, 1};
    CHECK(ecg_lda_fit(x, n, 2, NULL, cols, 2, y, 2, balanced, 0.0, &m, err, sizeof err) == 0, "fit: %s", err);
    /* where the posterior crosses 1/2 along the first axis (bisection) */
    double lo = -2, hi = 4, post[2];
    for (int it = 0; it < 60; it++) {
        double mid = 0.5 * (lo + hi), row[2] = {mid, 0.0};
        ecg_lda_posteriors(&m, row, post);
        if (post[1] > 0.5) hi = mid;
        else lo = mid;
    }
    CHECK(fabs(lo - want_x) < 0.05, "%d:%d %s: boundary at x = %.3f, Bayes %.3f", n0, n1,
          balanced ? "balanced" : "count priors", lo, want_x);
    double row[2] = {lo, 3.0}; /* the noise feature barely moves it */
    ecg_lda_posteriors(&m, row, post);
    CHECK(fabs(post[0] + post[1] - 1) < 1e-12 && fabs(post[1] - 0.5) < 0.1, "posteriors %g %g off the axis", post[0],
          post[1]);
    free(x);
    free(y);
}

static void test_lda_bayes_boundary(void) {
    check_boundary(20000, 20000, 1, 1.0);
    check_boundary(40000, 10000, 0, 1.0 + 0.5 * log(4.0));
    /* de Chazal's weighting: the 4:1 imbalance is undone, the boundary is back at x = 1 */
    check_boundary(40000, 10000, 1, 1.0);
}

static void test_lda_bad_input(void) {
    double x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    int y[4] = {0, 0, 0, 0}, cols[2] = {0, 1};
    ecg_lda m;
    char err[256] = "";
    CHECK(ecg_lda_fit(x, 4, 2, NULL, cols, 2, y, 2, 1, 0.1, &m, err, sizeof err) == -1 && strstr(err, "1 class"),
          "one class accepted: '%s'", err);
    int y2[4] = {0, 1, 0, 5};
    CHECK(ecg_lda_fit(x, 4, 2, NULL, cols, 2, y2, 2, 1, 0.1, &m, err, sizeof err) == -1 && strstr(err, "label 5"),
          "bad label accepted: '%s'", err);
    int y3[4] = {0, 1, 0, 1};
    x[3] = NAN;
    CHECK(ecg_lda_fit(x, 4, 2, NULL, cols, 2, y3, 2, 1, 0.1, &m, err, sizeof err) == -1 && strstr(err, "not finite"),
          "NaN accepted: '%s'", err);
    x[3] = 3;
    int dup[2] = {0, 0}; /* the same column twice: singular without a ridge */
    CHECK(ecg_lda_fit(x, 4, 2, NULL, dup, 2, y3, 2, 1, 0.0, &m, err, sizeof err) == -1 && strstr(err, "positive"),
          "singular covariance accepted: '%s'", err);
    CHECK(ecg_lda_fit(x, 4, 2, NULL, dup, 2, y3, 2, 1, 0.1, &m, err, sizeof err) == 0, "ridge did not fix it: %s", err);
}

/* ---------------------------------------------------------------- delineator */

#define FS 360.0
static double bump(double t, double c, double sd) { return exp(-0.5 * (t - c) * (t - c) / (sd * sd)); }
static long lmax_l(long a, long b) { return a > b ? a : b; }

/* Beats every 0.8 s: a piecewise-linear QRS from r - 40 ms (onset) through Q (-0.1 mV at
 * r - 25 ms), R (1 mV at r), S (-0.3 mV at r + 30 ms) back to 0 at r + 60 ms (offset); a
 * Gaussian T (0.3 mV, centre r + 300 ms, sd 40 ms: the tangent at its inflection meets 0 at
 * r + 380 ms); a P (0.15 mV, r - 160 ms, sd 20 ms) when with_p. */
static int synth_beats(float *x, long n, int with_p, long *r, int max_r) {
    int nr = 0;
    for (double t = 0.5; t < n / FS - 0.6 && nr < max_r; t += 0.8) r[nr++] = lround(t * FS);
    for (long i = 0; i < n; i++) {
        double v = 0, t = i / FS;
        for (int k = 0; k < nr; k++) {
            double d = t - r[k] / FS;
            if (fabs(d) > 0.6) continue;
            static const double kt[] = {-0.040, -0.025, 0.0, 0.030, 0.060}, kv[] = {0, -0.1, 1.0, -0.3, 0};
            for (int s = 0; s < 4; s++)
                if (d >= kt[s] && d < kt[s + 1]) v += kv[s] + (kv[s + 1] - kv[s]) * (d - kt[s]) / (kt[s + 1] - kt[s]);
            v += 0.3 * bump(d, 0.300, 0.040);
            if (with_p) v += 0.15 * bump(d, -0.160, 0.020);
        }
        x[i] = (float)v;
    }
    return nr;
}

/* The synthetic beats' boundaries (synth_beats) and their P features: P peak at r - 160 ms (a
 * Gaussian of sd 20 ms, 0.15 mV), its half-amplitude width the Gaussian's (2.355 sd = 47 ms; the
 * 20 ms smoothing widens it a little), the PR interval from its half-amplitude onset (r - 183.5
 * ms) to the QRS onset (r - 40 ms) 143.5 ms. Without a P wave every feature but presence is
 * unknown (NAN). */
static void test_delineate_synthetic(void) {
    const long n = lround(10 * FS);
    float *x = malloc((size_t)n * sizeof *x);
    long r[32];
    ecg_fiducials f[32];
    char err[256] = "";
    for (int with_p = 1; with_p >= 0; with_p--) {
        int nr = synth_beats(x, n, with_p, r, 32);
        CHECK(nr >= 10, "%d beats", nr);
        CHECK(ecg_delineate(x, n, FS, r, nr, ECG_FIDUCIAL_P_FLOOR_MV, f, err, sizeof err) == 0, "delineate: %s", err);
        const long tol = lround(0.008 * FS);
        for (int i = 0; i < nr; i++) {
            CHECK(labs(f[i].qrs_on - (r[i] - lround(0.040 * FS))) <= tol, "beat %d: QRS onset %ld, true %ld", i,
                  f[i].qrs_on, r[i] - lround(0.040 * FS));
            CHECK(labs(f[i].qrs_off - (r[i] + lround(0.060 * FS))) <= tol, "beat %d: QRS offset %ld, true %ld", i,
                  f[i].qrs_off, r[i] + lround(0.060 * FS));
            CHECK(labs(f[i].t_off - (r[i] + lround(0.380 * FS))) <= lround(0.012 * FS), "beat %d: T end %ld, want %ld",
                  i, f[i].t_off, r[i] + lround(0.380 * FS));
            CHECK(f[i].p_present == with_p, "beat %d: P present %d, synthesised %d", i, f[i].p_present, with_p);
            if (with_p)
                CHECK(f[i].p_on < r[i] - lround(0.160 * FS) && f[i].p_off > r[i] - lround(0.160 * FS) &&
                          f[i].p_off < f[i].qrs_on, "beat %d: P %ld..%ld around %ld", i, f[i].p_on, f[i].p_off,
                      r[i] - lround(0.160 * FS));
            ecg_p_features p = ecg_p_wave_features(&f[i], FS);
            CHECK(p.present == with_p, "beat %d: present %d, synthesised %d", i, p.present, with_p);
            if (!with_p) {
                CHECK(isnan(p.amp) && isnan(p.width_ms) && isnan(p.pr_ms) && f[i].p_peak == -1,
                      "beat %d without P: amp %g width %g PR %g peak %ld", i, p.amp, p.width_ms, p.pr_ms, f[i].p_peak);
                continue;
            }
            CHECK(labs(f[i].p_peak - (r[i] - lround(0.160 * FS))) <= lround(0.004 * FS), "beat %d: P peak %ld, true %ld",
                  i, f[i].p_peak, r[i] - lround(0.160 * FS));
            CHECK(p.amp > 0.12 && p.amp < 0.16, "beat %d: P amplitude %g mV, synthesised 0.15", i, p.amp);
            CHECK(p.width_ms > 44 && p.width_ms < 56, "beat %d: P half-amplitude width %g ms, Gaussian's 47", i,
                  p.width_ms);
            CHECK(fabs(p.pr_ms - 143.5) < 8, "beat %d: PR %g ms, true 143.5", i, p.pr_ms);
        }
    }
    free(x);
}

/* Respiratory baseline wander (0.4 mV at 0.3 Hz, up to 0.75 mV/s) under every beat: the level just
 * before the QRS is no reference for the P wave 50-200 ms earlier (the drift over the window is as
 * large as the P wave). Measured against the straight line through the window's two ends, each
 * P wave is found. */
static void test_delineate_p_on_wander(void) {
    const long n = lround(10 * FS);
    float *x = malloc((size_t)n * sizeof *x);
    long r[32];
    ecg_fiducials f[32];
    char err[256] = "";
    int nr = synth_beats(x, n, 1, r, 32), found = 0;
    for (long i = 0; i < n; i++) x[i] += (float)(0.4 * sin(2 * M_PI * 0.3 * (double)i / FS));
    CHECK(ecg_delineate(x, n, FS, r, nr, ECG_FIDUCIAL_P_FLOOR_MV, f, err, sizeof err) == 0, "delineate: %s", err);
    for (int i = 1; i < nr; i++) {
        found += f[i].p_present;
        CHECK(f[i].p_present && f[i].p_on < r[i] - lround(0.160 * FS) && f[i].p_off > r[i] - lround(0.160 * FS),
              "beat %d on wander: P present %d at %ld..%ld, synthesised around %ld", i, f[i].p_present, f[i].p_on,
              f[i].p_off, r[i] - lround(0.160 * FS));
    }
    CHECK(found == nr - 1, "P found on %d of %d beats on baseline wander", found, nr - 1);
    free(x);
}

/* A bump before each QRS at a position that wanders from beat to beat (as atrial fibrillation's
 * waves do) is no P wave; the same bumps all at one distance from the R peak are. */
static void test_p_wave_must_recur(void) {
    const long n = lround(20 * FS);
    float *x = malloc((size_t)n * sizeof *x), *base = malloc((size_t)n * sizeof *base);
    long r[32];
    ecg_fiducials f[32];
    char err[256] = "";
    int nr = synth_beats(base, n, 0, r, 32);
    for (int wander = 0; wander <= 1; wander++) {
        lcg g = {11};
        memcpy(x, base, (size_t)n * sizeof *x);
        for (int i = 0; i < nr; i++) {
            double at = wander ? 0.060 + 0.130 * uniform(&g) : 0.160; /* seconds before the R peak */
            for (long t = lmax_l(0, r[i] - lround(0.3 * FS)); t < r[i]; t++)
                x[t] += (float)(0.15 * bump((double)(t - r[i]) / FS, -at, 0.020));
        }
        CHECK(ecg_delineate(x, n, FS, r, nr, ECG_FIDUCIAL_P_FLOOR_MV, f, err, sizeof err) == 0, "delineate: %s", err);
        int found = 0;
        for (int i = 0; i < nr; i++) found += f[i].p_present;
        if (wander)
            CHECK(found <= nr / 2, "wandering bumps: P found on %d of %d beats", found, nr);
        else
            CHECK(found == nr, "fixed bumps: P found on %d of %d beats", found, nr);
    }
    free(x);
    free(base);
}

static void test_delineate_bad_input(void) {
    float x[1000];
    for (int i = 0; i < 1000; i++) x[i] = (float)sin(i * 0.05);
    long r[3] = {100, 500, 900};
    ecg_fiducials f[3];
    char err[256] = "";
    x[321] = NAN;
    CHECK(ecg_delineate(x, 1000, FS, r, 3, 0.02, f, err, sizeof err) == -1 && strstr(err, "sample 321"),
          "NaN accepted: '%s'", err);
    x[321] = 0;
    long bad[3] = {100, 90, 900};
    CHECK(ecg_delineate(x, 1000, FS, bad, 3, 0.02, f, err, sizeof err) == -1 && strstr(err, "beat 1"),
          "out of order accepted: '%s'", err);
    long out[1] = {1000};
    CHECK(ecg_delineate(x, 1000, FS, out, 1, 0.02, f, err, sizeof err) == -1, "beat past the end accepted");
    CHECK(ecg_delineate(x, 1000, 10.0, r, 3, 0.02, f, err, sizeof err) == -1 && strstr(err, "fs"), "fs 10 accepted");
    /* beats on the very first and last samples: boundaries stay inside the record */
    long edge[2] = {0, 999};
    CHECK(ecg_delineate(x, 1000, FS, edge, 2, 0.02, f, err, sizeof err) == 0, "edge beats: %s", err);
    for (int i = 0; i < 2; i++)
        CHECK(f[i].qrs_on >= 0 && f[i].qrs_off <= 999 && f[i].qrs_on <= edge[i] && f[i].qrs_off >= edge[i] &&
                  f[i].t_off >= f[i].qrs_off && f[i].t_off <= 999, "edge beat %d: %ld..%ld, T %ld", i, f[i].qrs_on,
              f[i].qrs_off, f[i].t_off);
}

/* ---------------------------------------------------------------- features */

static void test_features_edges_and_bad_input(void) {
    const long n = lround(10 * FS);
    float *l1 = malloc((size_t)n * sizeof *l1), *l2 = malloc((size_t)n * sizeof *l2);
    long r[32];
    int nr = synth_beats(l1, n, 1, r, 32);
    for (long i = 0; i < n; i++) l2[i] = -0.5f * l1[i];
    r[0] = 3, r[nr - 1] = n - 2; /* a beat at each edge: morphology windows run past the record */
    double *out = malloc((size_t)nr * ECG_DC_N_FEATURES * sizeof *out);
    char err[256] = "";
    CHECK(ecg_dechazal_beat_features(l1, l2, n, FS, r, nr, "synthetic", out, err, sizeof err) == 0, "%s", err);
    const double *first = out, *last = out + (size_t)(nr - 1) * ECG_DC_N_FEATURES;
    CHECK(first[ECG_DC_LEAD1] == l1[0], "sample before the start: %g, edge %g", first[ECG_DC_LEAD1], (double)l1[0]);
    CHECK(last[ECG_DC_LEAD1 + ECG_DC_MORPH - 1] == l1[n - 1] && last[ECG_DC_LEAD2 + ECG_DC_MORPH - 1] == l2[n - 1],
          "sample past the end is not the edge sample");
    for (int i = 1; i + 1 < nr; i++) { /* regular 0.8 s beats inside */
        const double *o = out + (size_t)i * ECG_DC_N_FEATURES;
        if (i >= 2 && i + 2 < nr)
            CHECK(fabs(o[ECG_DC_PRE_RR] - 0.8) < 0.01 && o[ECG_DC_PRE_RATIO] == o[ECG_DC_PRE_RR] / o[ECG_DC_AVG_RR],
                  "beat %d: pre-RR %g, ratio %g", i, o[ECG_DC_PRE_RR], o[ECG_DC_PRE_RATIO]);
        CHECK(fabs(o[ECG_DC_QRS_DUR] - 0.100) < 0.016 && o[ECG_DC_P_FLAG] == 1, "beat %d: QRS %g s, P %g", i,
              o[ECG_DC_QRS_DUR], o[ECG_DC_P_FLAG]);
        CHECK(fabs(o[ECG_DC_LEAD1 + 3] - 1.0) < 1e-6, "beat %d: QRS sample at the annotation %g, R is 1", i,
              o[ECG_DC_LEAD1 + 3]);
        CHECK(fabs(o[ECG_DC_LEAD2 + 3] + 0.5) < 1e-6, "lead 2 at the annotation %g", o[ECG_DC_LEAD2 + 3]);
    }
    for (int i = 0; i < ECG_DC_N_FEATURES * nr; i++)
        if (!isfinite(out[i])) {
            CHECK(0, "feature %d of beat %d not finite", i % ECG_DC_N_FEATURES, i / ECG_DC_N_FEATURES);
            break;
        }
    l2[77] = INFINITY;
    CHECK(ecg_dechazal_beat_features(l1, l2, n, FS, r, nr, "synthetic", out, err, sizeof err) == -1 &&
              strstr(err, "lead 2 sample 77"), "inf in lead 2 accepted: '%s'", err);
    l2[77] = 0, l1[88] = NAN;
    CHECK(ecg_dechazal_beat_features(l1, l2, n, FS, r, nr, "synthetic", out, err, sizeof err) == -1 &&
              strstr(err, "sample 88"), "NaN in lead 1 accepted: '%s'", err);
    l1[88] = 0;
    CHECK(ecg_dechazal_beat_features(l1, l2, n, FS, r, 1, "synthetic", out, err, sizeof err) == -1 &&
              strstr(err, "at least 2"), "one beat accepted: '%s'", err);
    ecg_dc_beats b;
    CHECK(ecg_dechazal_load_set("/nonexistent", "ds3", &b, err, sizeof err) == -1 && strstr(err, "ds3"),
          "unknown set accepted: '%s'", err);
    free(l1);
    free(l2);
    free(out);
}

/* ---------------------------------------------------------------- classifier */

/* Beats of 4 "records" whose features depend on the class (plus noise), every class in each. */
static void synthetic_beats(ecg_dc_beats *b, int per_class) {
    lcg g = {5};
    b->n = 4 * ECG_AAMI_N_CLASSES * per_class;
    b->x = malloc((size_t)b->n * ECG_DC_N_FEATURES * sizeof *b->x);
    b->y = malloc((size_t)b->n * sizeof *b->y);
    b->record = malloc((size_t)b->n * sizeof *b->record);
    for (int i = 0; i < b->n; i++) {
        b->record[i] = 100 + i / (ECG_AAMI_N_CLASSES * per_class);
        b->y[i] = i % ECG_AAMI_N_CLASSES;
        for (int j = 0; j < ECG_DC_N_FEATURES; j++)
            b->x[(size_t)i * ECG_DC_N_FEATURES + j] = gauss(&g) + (j % ECG_AAMI_N_CLASSES == b->y[i] ? 3.0 : 0.0);
    }
}

static void test_classifier_cv_and_json(void) {
    ecg_dc_beats b;
    synthetic_beats(&b, 40);
    ecg_dc_options o = {.config = "fusion", .rr = "raw", .intervals = 1, .train_q = 1, .ridge = 0.01};
    ecg_dechazal m, back;
    ecg_metrics cv, direct, again;
    char err[512] = "";
    CHECK(ecg_dechazal_cv(&b, &o, &cv, err, sizeof err) == 0, "cv: %s", err);
    CHECK(cv.n == b.n && cv.accuracy > 0.95, "separable classes, CV accuracy %g over %ld", cv.accuracy, cv.n);
    CHECK(ecg_dechazal_fit(&b, NULL, &o, &m, err, sizeof err) == 0, "fit: %s", err);
    CHECK(m.n_lda == 2 && ecg_dechazal_params(&m) == 2 * ECG_AAMI_N_CLASSES * (4 + 3 + ECG_DC_MORPH + 1),
          "params %d", ecg_dechazal_params(&m));
    ecg_dechazal_evaluate(&m, &b, &direct);
    cJSON *j = ecg_dechazal_to_json(&m);
    char *text = cJSON_PrintUnformatted(j);
    cJSON *parsed = cJSON_Parse(text);
    CHECK(ecg_dechazal_from_json(parsed, &back, err, sizeof err) == 0, "from JSON: %s", err);
    ecg_dechazal_evaluate(&back, &b, &again);
    CHECK(memcmp(direct.confusion, again.confusion, sizeof direct.confusion) == 0, "JSON round trip changed predictions");
    CHECK(memcmp(back.lda[1].w, m.lda[1].w, sizeof m.lda[1].w) == 0 && back.lda[0].b[3] == m.lda[0].b[3],
          "weights do not round-trip exactly");
    /* malformed: a renamed feature (another layout), a missing ridge, an unknown config */
    cJSON *names = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(parsed, "discriminants"), 0), "features");
    cJSON_ReplaceItemInArray(names, 0, cJSON_CreateString("heart_rate"));
    CHECK(ecg_dechazal_from_json(parsed, &back, err, sizeof err) == -1 && strstr(err, "malformed"),
          "renamed feature accepted: '%s'", err);
    cJSON_DeleteItemFromObject(j, "ridge");
    CHECK(ecg_dechazal_from_json(j, &back, err, sizeof err) == -1 && strstr(err, "ridge"), "no ridge accepted: '%s'",
          err);
    ecg_dc_options bad = o;
    snprintf(bad.config, sizeof bad.config, "lead3");
    CHECK(ecg_dechazal_fit(&b, NULL, &bad, &m, err, sizeof err) == -1 && strstr(err, "lead3"), "config lead3: '%s'",
          err);
    /* Q left out of training is never predicted */
    o.train_q = 0;
    CHECK(ecg_dechazal_fit(&b, NULL, &o, &m, err, sizeof err) == 0, "fit without Q: %s", err);
    ecg_dechazal_evaluate(&m, &b, &direct);
    long q_pred = 0;
    for (int c = 0; c < ECG_AAMI_N_CLASSES; c++) q_pred += direct.confusion[c][ECG_AAMI_Q];
    CHECK(q_pred == 0, "%ld beats predicted Q by a model that never saw Q", q_pred);
    cJSON_free(text);
    cJSON_Delete(j);
    cJSON_Delete(parsed);
    ecg_dc_beats_free(&b);
}

/* ---------------------------------------------------------------- real data */

/* Record 100 (normal sinus rhythm, RR about 0.8 s): its first 40 s. */
static void test_record_100(void) {
    char dir[1024], path[1100], err[1300] = "";
    if (!test_data_dir("mitdb/100.hea mitdb/100.dat mitdb/100.atr", dir, sizeof dir)) return;
    snprintf(path, sizeof path, "%s/mitdb", dir);
    ecg_wfdb_header h;
    memset(&h, 0, sizeof h);
    int32_t *adc = NULL;
    CHECK(ecg_wfdb_read_record(path, "100", &h, &adc, NULL, err, sizeof err) == 0, "%s", err);
    if (!adc) return;
    const long n = lround(40 * h.fs);
    float *l1 = malloc((size_t)n * sizeof *l1), *l2 = malloc((size_t)n * sizeof *l2);
    for (long t = 0; t < n; t++) {
        l1[t] = ecg_wfdb_physical(&h.sig[0], adc[t * h.n_sig]); /* MLII in 100 */
        l2[t] = ecg_wfdb_physical(&h.sig[1], adc[t * h.n_sig + 1]);
    }
    CHECK(!strcmp(h.sig[0].description, "MLII"), "record 100's signal 0 is %s", h.sig[0].description);
    CHECK(ecg_bandpass(l1, n, h.fs, ECG_BANDPASS_LO_HZ, ECG_BANDPASS_HI_HZ, l1, err, sizeof err) == 0 &&
              ecg_bandpass(l2, n, h.fs, ECG_BANDPASS_LO_HZ, ECG_BANDPASS_HI_HZ, l2, err, sizeof err) == 0, "%s", err);
    ecg_wfdb_ann *ann = NULL;
    int n_ann = 0, nr = 0;
    snprintf(path, sizeof path, "%s/mitdb/100.atr", dir);
    CHECK(ecg_wfdb_read_annotations(path, &ann, &n_ann, err, sizeof err) == 0, "%s", err);
    long r[128];
    for (int i = 0; i < n_ann && nr < 128; i++)
        if (ecg_aami_class_of_code(ann[i].code) >= 0 && ann[i].sample < n) r[nr++] = ann[i].sample;
    double *out = malloc((size_t)(nr ? nr : 1) * ECG_DC_N_FEATURES * sizeof *out);
    CHECK(nr > 40, "%d beats in 40 s", nr);
    CHECK(ecg_dechazal_beat_features(l1, l2, n, h.fs, r, nr, "100", out, err, sizeof err) == 0, "%s", err);
    int qrs_ok = 0, rr_ok = 0, p = 0, t_ok = 0, inner = 0;
    for (int i = 1; i + 1 < nr; i++, inner++) {
        const double *o = out + (size_t)i * ECG_DC_N_FEATURES;
        qrs_ok += o[ECG_DC_QRS_DUR] >= 0.060 && o[ECG_DC_QRS_DUR] <= 0.120;
        rr_ok += o[ECG_DC_PRE_RR] > 0.6 && o[ECG_DC_PRE_RR] < 1.0 && fabs(o[ECG_DC_LOCAL_RR] - 0.8) < 0.1;
        t_ok += o[ECG_DC_T_DUR] >= 0.10 && o[ECG_DC_T_DUR] <= 0.45;
        p += o[ECG_DC_P_FLAG] == 1;
    }
    if (getenv("ECG_DEBUG_FIDUCIALS"))
        for (int i = 0; i < 6; i++)
            printf("beat %d: qrs %.3f t %.3f p %g pre %.3f\n", i, out[i * ECG_DC_N_FEATURES + ECG_DC_QRS_DUR],
                   out[i * ECG_DC_N_FEATURES + ECG_DC_T_DUR], out[i * ECG_DC_N_FEATURES + ECG_DC_P_FLAG],
                   out[i * ECG_DC_N_FEATURES + ECG_DC_PRE_RR]);
    CHECK(qrs_ok >= 0.9 * inner, "QRS duration 60-120 ms in %d of %d beats", qrs_ok, inner);
    CHECK(rr_ok >= 0.9 * inner, "RR about 0.8 s in %d of %d beats", rr_ok, inner);
    /* loose: the tangent-method T end is a consistent estimate, not validated against the QT database */
    CHECK(t_ok >= 0.9 * inner, "T duration 100-450 ms in %d of %d beats", t_ok, inner);
    CHECK(p >= 0.8 * inner, "P wave found before %d of %d sinus beats", p, inner);
    free(out);
    free(ann);
    free(l1);
    free(l2);
    free(adc);
    ecg_wfdb_header_free(&h);
}

int main(void) {
    RUN(test_cholesky_vs_naive);
    RUN(test_lda_bayes_boundary);
    RUN(test_lda_bad_input);
    RUN(test_delineate_synthetic);
    RUN(test_delineate_p_on_wander);
    RUN(test_p_wave_must_recur);
    RUN(test_delineate_bad_input);
    RUN(test_features_edges_and_bad_input);
    RUN(test_classifier_cv_and_json);
    RUN(test_record_100);
    return test_done();
}

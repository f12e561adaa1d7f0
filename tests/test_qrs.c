/* QRS detector and matcher: synthetic ECG with known R positions (noise, baseline wander, tall
 * T waves, several sampling rates), hand-worked matcher counts, bad input, and record 100 of
 * MIT-BIH against its reference annotations when the data is at hand. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasets/datasets.h"
#include "harness.h"

/* Small local generator so the signal does not depend on another module's RNG. */
typedef struct {
    uint64_t s;
} lcg;
static double uniform(lcg *g) {
    g->s = g->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(g->s >> 11) / 9007199254740992.0;
}
static double gauss(lcg *g) {
    double u = uniform(g), v = uniform(g);
    return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static double bump(double t, double centre, double sd) { return exp(-0.5 * (t - centre) * (t - centre) / (sd * sd)); }

/* ECG-like beats: P (0.15 mV), QRS (1 mV R, small Q and S), T (tall_t mV, 250 ms after R), at
 * R times drawn with RR 0.55-1.15 s; plus 0.4 mV of 0.3 Hz baseline wander and white noise of
 * noise_sd mV. Writes R sample indices to r (returns how many). */
static int synth(float *x, long n, double fs, double tall_t, double noise_sd, uint64_t seed, long *r, int max_r) {
    lcg g = {seed};
    int nr = 0;
    for (double t = 0.6; t < n / fs - 0.6 && nr < max_r; t += 0.55 + 0.6 * uniform(&g)) r[nr++] = lround(t * fs);
    for (long i = 0; i < n; i++) {
        double t = i / fs, v = 0.4 * sin(2 * M_PI * 0.3 * t + 1.0) + noise_sd * gauss(&g);
        for (int k = 0; k < nr; k++) {
            double tr = r[k] / fs;
            if (fabs(t - tr) > 0.6) continue;
            v += 0.15 * bump(t, tr - 0.16, 0.02) - 0.1 * bump(t, tr - 0.025, 0.008) + 1.0 * bump(t, tr, 0.010) -
                 0.2 * bump(t, tr + 0.03, 0.008) + tall_t * bump(t, tr + 0.25, 0.04);
        }
        x[i] = (float)v;
    }
    return nr;
}

static void check_synthetic(double fs, double tall_t, double noise_sd, uint64_t seed) {
    long n = lround(120 * fs);
    float *x = malloc((size_t)n * sizeof *x);
    long r[256];
    int nr = synth(x, n, fs, tall_t, noise_sd, seed, r, 256);
    long *det = NULL;
    int nd = 0;
    char err[256] = "";
    CHECK(ecg_qrs_detect(x, n, fs, &det, &nd, err, sizeof err) == 0, "detect: %s", err);
    long tol = lround(0.010 * fs);
    int tp = -1, fp = -1, fn = -1;
    CHECK(ecg_qrs_match(r, nr, det, nd, tol, &tp, &fp, &fn) == 0, "match");
    CHECK(tp == nr && fp == 0 && fn == 0, "fs %g, T %g mV, noise %g: %d beats, %d detections: tp %d fp %d fn %d",
          fs, tall_t, noise_sd, nr, nd, tp, fp, fn);
    for (int i = 1; i < nd; i++) CHECK(det[i] > det[i - 1], "detections not ascending at %d", i);
    free(det);
    free(x);
}

static void test_synthetic_360(void) { check_synthetic(360, 0.3, 0.03, 1); }
static void test_synthetic_tall_t(void) { check_synthetic(360, 0.7, 0.03, 2); }
static void test_synthetic_250(void) { check_synthetic(250, 0.3, 0.05, 3); }
static void test_synthetic_1000(void) { check_synthetic(1000, 0.3, 0.03, 4); }
static void test_synthetic_128(void) { check_synthetic(128, 0.3, 0.03, 5); }

/* After 20 regular beats at 0.8 s, one beat of 0.42 the height: its integrated peak (0.42^2 =
 * 0.18 of the others') is under the first threshold (a quarter of the signal level) but above
 * the second (an eighth), so only the search-back at 166 % of the RR average finds it. */
static void test_search_back(void) {
    const double fs = 360;
    long n = lround(30 * fs);
    float *x = calloc((size_t)n, sizeof *x);
    long r[64];
    int nr = 0;
    for (double t = 1.0; t < 29; t += 0.8) r[nr++] = lround(t * fs);
    for (long i = 0; i < n; i++)
        for (int k = 0; k < nr; k++) {
            double amp = k == 20 ? 0.42 : 1.0;
            x[i] += (float)(amp * bump(i / fs, r[k] / fs, 0.010));
        }
    long *det = NULL;
    int nd = 0;
    char err[256] = "";
    CHECK(ecg_qrs_detect(x, n, fs, &det, &nd, err, sizeof err) == 0, "detect: %s", err);
    int tp, fp, fn;
    ecg_qrs_match(r, nr, det, nd, lround(0.010 * fs), &tp, &fp, &fn);
    CHECK(tp == nr && fp == 0, "%d beats: tp %d fp %d fn %d", nr, tp, fp, fn);
    free(det);
    free(x);
}

/* Counts worked by hand. */
static void test_match_hand(void) {
    int tp, fp, fn;
    /* Pairs within 20: 100-105 (5), 200-190 (10), 200-210 (10), 400-402 (2). Closest first:
     * 400-402, 100-105, then the tie at 200 goes to the earlier detection 190; 210 and 500 are
     * false, 300 is missed. */
    long ref[] = {100, 200, 300, 400}, det[] = {105, 190, 210, 500, 402};
    CHECK(ecg_qrs_match(ref, 4, det, 5, 20, &tp, &fp, &fn) == 0, "match");
    CHECK(tp == 3 && fp == 2 && fn == 1, "tp %d fp %d fn %d, want 3 2 1", tp, fp, fn);
    /* Greedy by distance, not by order: 120 is closer to 130 (10) than to 100 (20). */
    long r2[] = {100, 130}, d2[] = {120};
    ecg_qrs_match(r2, 2, d2, 1, 30, &tp, &fp, &fn);
    CHECK(tp == 1 && fp == 0 && fn == 1, "tp %d fp %d fn %d, want 1 0 1", tp, fp, fn);
    /* One detection cannot serve two beats, and ties go to the earlier reference: 100-115, then
     * 130-145. */
    long d3[] = {145, 115};
    ecg_qrs_match(r2, 2, d3, 2, 15, &tp, &fp, &fn);
    CHECK(tp == 2 && fp == 0 && fn == 0, "tp %d fp %d fn %d, want 2 0 0", tp, fp, fn);
    /* The window is inclusive; 16 away is out. */
    ecg_qrs_match(r2, 2, d3, 2, 14, &tp, &fp, &fn);
    CHECK(tp == 0 && fp == 2 && fn == 2, "tp %d fp %d fn %d, want 0 2 2", tp, fp, fn);
    /* Empty lists. */
    CHECK(ecg_qrs_match(NULL, 0, det, 5, 10, &tp, &fp, &fn) == 0 && tp == 0 && fp == 5 && fn == 0, "no reference");
    CHECK(ecg_qrs_match(ref, 4, NULL, 0, 10, &tp, &fp, &fn) == 0 && tp == 0 && fp == 0 && fn == 4, "no detections");
    CHECK(ecg_qrs_match(ref, 4, det, 5, -1, &tp, &fp, &fn) == -1, "negative window accepted");
}

static void test_bad_input(void) {
    long n = 3600;
    float *x = calloc((size_t)n, sizeof *x);
    long *det = (long *)1;
    int nd = 7;
    char err[256] = "";
    x[1234] = NAN;
    CHECK(ecg_qrs_detect(x, n, 360, &det, &nd, err, sizeof err) == -1, "NaN accepted");
    CHECK(det == NULL && nd == 0, "outputs not cleared");
    CHECK(strstr(err, "sample 1234") && strstr(err, "NaN"), "message: %s", err);
    x[1234] = 0;
    CHECK(ecg_qrs_detect(x, n, 20, &det, &nd, err, sizeof err) == -1, "fs 20 accepted");
    CHECK(ecg_qrs_detect(x, n, NAN, &det, &nd, err, sizeof err) == -1, "fs NaN accepted");
    CHECK(ecg_qrs_detect(x, 0, 360, &det, &nd, err, sizeof err) == -1, "empty accepted");
    /* A flat line is valid input with no beats. */
    CHECK(ecg_qrs_detect(x, n, 360, &det, &nd, err, sizeof err) == 0 && nd == 0, "flat line: %d beats (%s)", nd,
          err);
    free(det);
    free(x);
}

/* MIT-BIH record 100 (2273 reference beats): Se and +P of at least 99 %. */
static void test_record_100(void) {
    char base[1024], dir[1100], path[1200];
    if (!test_data_dir("mitdb/100.hea mitdb/100.dat mitdb/100.atr", base, sizeof base)) return;
    snprintf(dir, sizeof dir, "%s/mitdb", base);
    ecg_wfdb_header h;
    int32_t *adc = NULL;
    long n_inv = 0;
    char err[1024] = "";
    int rc = ecg_wfdb_read_record(dir, "100", &h, &adc, &n_inv, err, sizeof err);
    CHECK(rc == 0, "read: %s", err);
    if (rc) return;
    long n = h.n_samples;
    float *x = malloc((size_t)n * sizeof *x);
    for (long t = 0; t < n; t++) x[t] = ecg_wfdb_physical(&h.sig[0], adc[t * h.n_sig]);
    long *det = NULL;
    int nd = 0;
    CHECK(ecg_qrs_detect(x, n, h.fs, &det, &nd, err, sizeof err) == 0, "detect: %s", err);
    ecg_wfdb_ann *a = NULL;
    int na = 0;
    snprintf(path, sizeof path, "%s/100.atr", dir);
    CHECK(ecg_wfdb_read_annotations(path, &a, &na, err, sizeof err) == 0, "annotations: %s", err);
    long *ref = malloc((size_t)(na + 1) * sizeof *ref);
    int nr = 0;
    for (int i = 0; i < na; i++)
        if (ecg_wfdb_ann_is_beat(a[i].code)) ref[nr++] = a[i].sample;
    CHECK(nr == 2273, "record 100 has %d reference beats, PhysioNet lists 2273", nr);
    int tp, fp, fn;
    ecg_qrs_match(ref, nr, det, nd, lround(0.150 * h.fs), &tp, &fp, &fn);
    double se = 100.0 * tp / (tp + fn), ppv = 100.0 * tp / (tp + fp);
    printf("  record 100: %d beats, tp %d fp %d fn %d, Se %.2f%% +P %.2f%%\n", nr, tp, fp, fn, se, ppv);
    CHECK(se >= 99.0 && ppv >= 99.0, "Se %.2f +P %.2f", se, ppv);
    free(ref);
    free(a);
    free(det);
    free(x);
    free(adc);
    ecg_wfdb_header_free(&h);
}

int main(void) {
    RUN(test_synthetic_360);
    RUN(test_synthetic_tall_t);
    RUN(test_synthetic_250);
    RUN(test_synthetic_1000);
    RUN(test_synthetic_128);
    RUN(test_search_back);
    RUN(test_match_hand);
    RUN(test_bad_input);
    RUN(test_record_100);
    return test_done();
}

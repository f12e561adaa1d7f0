/* Preprocessing: band-pass response against the Butterworth magnitude and zero phase,
 * resampling against the analytic sine, z-score and crop/pad on hand-worked examples, and
 * bad input (NaN, flat, bad band) rejected with a message. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "harness.h"

static float *sine(long n, double fs, double f, double amp, double phase) {
    float *x = malloc((size_t)n * sizeof *x);
    for (long i = 0; i < n; i++) x[i] = (float)(amp * sin(2 * M_PI * f * i / fs + phase));
    return x;
}

/* Amplitude and phase of the component at f over [lo, hi) by least squares on sin / cos
 * (the window holds whole periods, so the two are orthogonal). */
static void tone(const float *y, long lo, long hi, double fs, double f, double *amp, double *phase) {
    double s = 0, c = 0;
    for (long i = lo; i < hi; i++) {
        s += y[i] * sin(2 * M_PI * f * i / fs);
        c += y[i] * cos(2 * M_PI * f * i / fs);
    }
    s *= 2.0 / (hi - lo);
    c *= 2.0 / (hi - lo);
    *amp = hypot(s, c);
    *phase = atan2(c, s);
}

static double rms(const float *y, long lo, long hi) {
    double a = 0;
    for (long i = lo; i < hi; i++) a += (double)y[i] * y[i];
    return sqrt(a / (hi - lo));
}

/* A 10 Hz sine passes with gain within 1 % (Butterworth 0.5-40 Hz, squared by filtfilt:
 * 1 / (1 + ((f^2 - f0^2) / (f B))^4) is 0.999 at 10 Hz) and no phase shift. */
static void test_bandpass_passband(void) {
    const double fs = 360;
    long n = 20 * 360;
    float *x = sine(n, fs, 10, 1.5, 0.3), *y = malloc((size_t)n * sizeof *y);
    char err[256] = "";
    CHECK(ecg_bandpass(x, n, fs, 0.5, 40, y, err, sizeof err) == 0, "bandpass: %s", err);
    double amp, ph, amp0, ph0;
    tone(y, 360, n - 360, fs, 10, &amp, &ph);
    tone(x, 360, n - 360, fs, 10, &amp0, &ph0);
    CHECK(fabs(amp / amp0 - 1) < 0.01, "10 Hz gain %g, want 1 +- 1%%", amp / amp0);
    CHECK(fabs(ph - ph0) < 1e-3, "10 Hz phase shift %g rad, want 0", ph - ph0);
    /* Cross-correlation of output with input peaks at lag 0. */
    int best = 99;
    double best_v = -1e300;
    for (int lag = -20; lag <= 20; lag++) {
        double v = 0;
        for (long i = 400; i < n - 400; i++) v += (double)y[i + lag] * x[i];
        if (v > best_v) best_v = v, best = lag;
    }
    CHECK(best == 0, "cross-correlation peak at lag %d, want 0", best);
    /* Near the edges: the odd reflection of a sine that does not start at a zero crossing
     * differs from the sine by a step in level (2 x[0]), which the 0.5 Hz high-pass turns
     * into a transient decaying over about a second; past 2 s the output is the sine. */
    double e = 0;
    for (long i = 720; i < n - 720; i++) e = fmax(e, fabs(y[i] - x[i]));
    CHECK(e < 0.02 * 1.5, "largest deviation from the input sine past the first 2 s %g", e);
    free(x);
    free(y);
}

/* 0.05 Hz (baseline wander) and 100 Hz are cut by more than 20 dB. */
static void test_bandpass_stopband(void) {
    const double fs = 360;
    long n = 200 * 360; /* 10 periods of 0.05 Hz */
    float *y = malloc((size_t)n * sizeof *y);
    char err[256] = "";
    double freqs[2] = {0.05, 100};
    for (int k = 0; k < 2; k++) {
        float *x = sine(n, fs, freqs[k], 2.0, 0.0);
        CHECK(ecg_bandpass(x, n, fs, 0.5, 40, y, err, sizeof err) == 0, "bandpass: %s", err);
        double g = rms(y, 0, n) / rms(x, 0, n);
        CHECK(20 * log10(g) < -20, "%g Hz: gain %.1f dB, want < -20 dB", freqs[k], 20 * log10(g));
        free(x);
    }
    free(y);
}

/* A DC offset plus a slow ramp (both inside the stop band) leaves almost nothing, at the edges
 * too: the point of the odd reflection and the steady-state start. */
static void test_bandpass_trend_edges(void) {
    const double fs = 250;
    long n = 10 * 250;
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    for (long i = 0; i < n; i++) x[i] = (float)(5.0 + 0.2 * i / fs);
    char err[256] = "";
    CHECK(ecg_bandpass(x, n, fs, 0.5, 40, y, err, sizeof err) == 0, "bandpass: %s", err);
    double e = 0;
    for (long i = 0; i < n; i++) e = fmax(e, fabs(y[i]));
    CHECK(e < 0.02, "offset + ramp leaves %g (want < 0.02 of a 5-7 signal)", e);
    free(x);
    free(y);
}

static void test_bandpass_bad_input(void) {
    float x[16] = {0}, y[16];
    char err[256] = "";
    x[3] = NAN;
    CHECK(ecg_bandpass(x, 16, 360, 0.5, 40, y, err, sizeof err) == -1, "NaN accepted");
    CHECK(strstr(err, "sample 3") && strstr(err, "NaN"), "message: %s", err);
    x[3] = INFINITY;
    CHECK(ecg_bandpass(x, 16, 360, 0.5, 40, y, err, sizeof err) == -1, "infinity accepted");
    x[3] = 0;
    ecg_sos s;
    CHECK(ecg_bandpass_design(0.5, 200, 360, 2, &s, err, sizeof err) == -1, "f_hi above Nyquist accepted");
    CHECK(strstr(err, "fs/2") != NULL, "message: %s", err);
    CHECK(ecg_bandpass_design(40, 0.5, 360, 2, &s, err, sizeof err) == -1, "reversed band accepted");
    CHECK(ecg_bandpass_design(0.5, 40, 360, 0, &s, err, sizeof err) == -1, "order 0 accepted");
    CHECK(ecg_bandpass(x, 0, 360, 0.5, 40, y, err, sizeof err) == -1, "empty signal accepted");
    CHECK(ecg_bandpass(x, 1, 360, 0.5, 40, y, err, sizeof err) == 0, "one sample: %s", err);
    CHECK(y[0] == 0, "one zero sample filtered to %g", y[0]);
}

/* 360 -> 250 Hz keeps a 7 Hz sine's frequency, amplitude and phase: compare with the sine
 * evaluated at the new sample times. */
static void test_resample_sine(void) {
    long n = 3600;
    float *x = sine(n, 360, 7, 1.3, 0.4);
    float *y = NULL;
    long m = 0;
    char err[256] = "";
    CHECK(ecg_resample(x, n, 360, 250, &y, &m, err, sizeof err) == 0, "resample: %s", err);
    CHECK(m == 2500, "length %ld, want 2500", m);
    double e = 0;
    for (long k = 25; k < m - 25 && y; k++) e = fmax(e, fabs(y[k] - 1.3 * sin(2 * M_PI * 7 * k / 250.0 + 0.4)));
    CHECK(e < 2e-3, "largest error against the analytic sine %g", e);
    double amp, ph;
    if (y) tone(y, 0, m, 250, 7, &amp, &ph);
    CHECK(y && fabs(amp - 1.3) < 0.005, "amplitude %g, want 1.3", amp);
    free(x);
    free(y);
    /* Upsampling 250 -> 360 too. */
    x = sine(2500, 250, 3, 0.8, 0);
    CHECK(ecg_resample(x, 2500, 250, 360, &y, &m, err, sizeof err) == 0, "resample up: %s", err);
    CHECK(m == 3600, "length %ld, want 3600", m);
    e = 0;
    for (long k = 36; k < m - 36 && y; k++) e = fmax(e, fabs(y[k] - 0.8 * sin(2 * M_PI * 3 * k / 360.0)));
    CHECK(e < 2e-3, "largest error upsampling %g", e);
    free(x);
    free(y);
}

static void test_resample_bad_input(void) {
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float *y = (float *)1;
    long m = 5;
    char err[256] = "";
    x[6] = NAN;
    CHECK(ecg_resample(x, 8, 360, 250, &y, &m, err, sizeof err) == -1, "NaN accepted");
    CHECK(y == NULL && m == 0, "outputs not cleared on error");
    CHECK(strstr(err, "sample 6") != NULL, "message: %s", err);
    x[6] = 7;
    CHECK(ecg_resample(x, 8, 360, 0, &y, &m, err, sizeof err) == -1, "fs_out 0 accepted");
    CHECK(ecg_resample(x, 8, 360, 1e6, &y, &m, err, sizeof err) == -1, "ratio 2778 accepted");
}

/* [1, 2, 3, 4]: mean 2.5, population std sqrt(1.25). */
static void test_zscore(void) {
    float x[4] = {1, 2, 3, 4};
    char err[256] = "";
    CHECK(ecg_zscore(x, 4, err, sizeof err) == 0, "zscore: %s", err);
    const float want[4] = {-1.3416408f, -0.4472136f, 0.4472136f, 1.3416408f};
    for (int i = 0; i < 4; i++) CHECK(fabsf(x[i] - want[i]) < 1e-6f, "x[%d] = %.7f, want %.7f", i, x[i], want[i]);
    float flat[5] = {3, 3, 3, 3, 3}, zero[3] = {0, 0, 0};
    CHECK(ecg_zscore(flat, 5, err, sizeof err) == -1, "flat accepted");
    CHECK(strstr(err, "flat") != NULL, "message: %s", err);
    CHECK(flat[0] == 3, "flat signal modified");
    CHECK(ecg_zscore(zero, 3, err, sizeof err) == -1, "all zeros accepted");
    float nan[3] = {1, NAN, 2};
    CHECK(ecg_zscore(nan, 3, err, sizeof err) == -1, "NaN accepted");
    CHECK(strstr(err, "sample 1") != NULL, "message: %s", err);
}

static void test_crop_pad(void) {
    float x[10];
    for (int i = 0; i < 10; i++) x[i] = (float)(i + 1);
    CHECK(ecg_crop_start(10, 4, ECG_CROP_CENTER) == 3, "centre start %ld", ecg_crop_start(10, 4, ECG_CROP_CENTER));
    CHECK(ecg_crop_start(11, 4, ECG_CROP_CENTER) == 3, "odd surplus rounds down");
    CHECK(ecg_crop_start(10, 4, ECG_CROP_LEFT) == 0, "left start");
    CHECK(ecg_crop_start(3, 5, ECG_CROP_CENTER) == 0, "short signal start");
    float out[6];
    ecg_crop_pad(x, 10, 1, 3, 4, out);
    CHECK(out[0] == 4 && out[1] == 5 && out[2] == 6 && out[3] == 7, "centre crop %g %g %g %g", out[0], out[1],
          out[2], out[3]);
    ecg_crop_pad(x, 3, 1, 0, 5, out);
    CHECK(out[0] == 1 && out[1] == 2 && out[2] == 3 && out[3] == 0 && out[4] == 0, "zero pad at the end");
    /* Two channels, time-major: frames (1,2) (3,4) (5,6) (7,8) (9,10); centre 2 of 5 starts at 1. */
    ecg_crop_pad(x, 5, 2, ecg_crop_start(5, 2, ECG_CROP_CENTER), 2, out);
    CHECK(out[0] == 3 && out[1] == 4 && out[2] == 5 && out[3] == 6, "two channels %g %g %g %g", out[0], out[1],
          out[2], out[3]);
    ecg_crop_pad(x, 2, 2, 0, 3, out);
    CHECK(out[0] == 1 && out[3] == 4 && out[4] == 0 && out[5] == 0, "two-channel pad");
}

int main(void) {
    RUN(test_bandpass_passband);
    RUN(test_bandpass_stopband);
    RUN(test_bandpass_trend_edges);
    RUN(test_bandpass_bad_input);
    RUN(test_resample_sine);
    RUN(test_resample_bad_input);
    RUN(test_zscore);
    RUN(test_crop_pad);
    return test_done();
}

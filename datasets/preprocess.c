/* Preprocessing of one ECG channel: zero-phase Butterworth band-pass (liquid-dsp design),
 * resampling (libsamplerate), per-record z-score, fixed-length crop / pad. */
#include <liquid/liquid.h>
#include <math.h>
#include <samplerate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"

/* -1 and a message naming the first non-finite sample, 0 when all are finite. */
static int check_finite(const float *x, long n, const char *fn, char *err, size_t errlen) {
    if (!x || n < 1) {
        snprintf(err, errlen, "%s: empty signal (%ld samples)", fn, n);
        return -1;
    }
    for (long i = 0; i < n; i++)
        if (!isfinite(x[i])) {
            snprintf(err, errlen, "%s: sample %ld of %ld is %s", fn, i, n, isnan(x[i]) ? "NaN" : "infinite");
            return -1;
        }
    return 0;
}

int ecg_bandpass_design(double f_lo, double f_hi, double fs, int order, ecg_sos *s, char *err, size_t errlen) {
    if (!(fs > 0) || !isfinite(fs) || !(f_lo > 0) || !(f_hi > f_lo) || !(f_hi < fs / 2)) {
        snprintf(err, errlen, "band-pass: need 0 < f_lo < f_hi < fs/2, got %g-%g Hz at fs %g Hz", f_lo, f_hi, fs);
        return -1;
    }
    if (order < 1 || order > ECG_SOS_MAX) {
        snprintf(err, errlen, "band-pass: order %d outside 1..%d", order, ECG_SOS_MAX);
        return -1;
    }
    /* liquid's band-pass takes the upper edge as fc and the centre f0 of the digital
     * low-pass -> band-pass transform: cos(w0) = cos((w2+w1)/2) / cos((w2-w1)/2). */
    double w1 = 2 * M_PI * f_lo / fs, w2 = 2 * M_PI * f_hi / fs;
    double f0 = acos(cos((w2 + w1) / 2) / cos((w2 - w1) / 2)) / (2 * M_PI);
    float B[3 * ECG_SOS_MAX], A[3 * ECG_SOS_MAX];
    if (liquid_iirdes(LIQUID_IIRDES_BUTTER, LIQUID_IIRDES_BANDPASS, LIQUID_IIRDES_SOS, (unsigned)order,
                      (float)(f_hi / fs), (float)f0, 1.0f, 60.0f, B, A) != 0) {
        snprintf(err, errlen, "band-pass: liquid_iirdes failed for %g-%g Hz at fs %g Hz", f_lo, f_hi, fs);
        return -1;
    }
    s->n = order;
    for (int k = 0; k < order; k++) {
        double a0 = A[3 * k];
        if (!(fabs(a0) > 0)) {
            snprintf(err, errlen, "band-pass: section %d has a0 = 0", k);
            return -1;
        }
        for (int j = 0; j < 3; j++) {
            s->b[k][j] = B[3 * k + j] / a0;
            s->a[k][j] = A[3 * k + j] / a0;
        }
        /* Poles inside the unit circle: |a2| < 1 and |a1| < 1 + a2. */
        if (!(fabs(s->a[k][2]) < 1 && fabs(s->a[k][1]) < 1 + s->a[k][2])) {
            snprintf(err, errlen, "band-pass: %g-%g Hz at fs %g Hz gives an unstable section %d", f_lo, f_hi, fs, k);
            return -1;
        }
    }
    return 0;
}

/* Runs the cascade over buf[0..n) in place (direction dir = +1 forward, -1 backward), each
 * section starting in the steady state for a constant input equal to the first sample. */
static void sos_run(const ecg_sos *s, double *buf, long n, int dir) {
    long i0 = dir > 0 ? 0 : n - 1;
    double u = buf[i0];
    for (int k = 0; k < s->n; k++) {
        const double *b = s->b[k], *a = s->a[k];
        double gain = (b[0] + b[1] + b[2]) / (a[0] + a[1] + a[2]);
        double yss = gain * u;
        double z1 = yss - b[0] * u, z2 = b[2] * u - a[2] * yss; /* transposed direct form II */
        for (long t = 0, i = i0; t < n; t++, i += dir) {
            double xi = buf[i];
            double yi = b[0] * xi + z1;
            z1 = b[1] * xi - a[1] * yi + z2;
            z2 = b[2] * xi - a[2] * yi;
            buf[i] = yi;
        }
        u = yss;
    }
}

int ecg_sos_filtfilt(const ecg_sos *s, const float *x, long n, long pad, float *y, char *err, size_t errlen) {
    if (check_finite(x, n, "filtfilt", err, errlen)) return -1;
    if (!s || s->n < 1 || s->n > ECG_SOS_MAX) {
        snprintf(err, errlen, "filtfilt: bad filter (%d sections)", s ? s->n : 0);
        return -1;
    }
    if (pad < 0) pad = 0;
    if (pad > n - 1) pad = n - 1;
    long m = n + 2 * pad;
    double *buf = malloc((size_t)m * sizeof *buf);
    if (!buf) {
        snprintf(err, errlen, "filtfilt: out of memory for %ld samples", m);
        return -1;
    }
    for (long i = 0; i < n; i++) buf[pad + i] = x[i];
    for (long k = 1; k <= pad; k++) {
        buf[pad - k] = 2.0 * x[0] - x[k];
        buf[pad + n - 1 + k] = 2.0 * x[n - 1] - x[n - 1 - k];
    }
    sos_run(s, buf, m, +1);
    sos_run(s, buf, m, -1);
    for (long i = 0; i < n; i++) y[i] = (float)buf[pad + i];
    free(buf);
    return 0;
}

int ecg_bandpass(const float *x, long n, double fs, double f_lo, double f_hi, float *y, char *err, size_t errlen) {
    ecg_sos s;
    if (ecg_bandpass_design(f_lo, f_hi, fs, 2, &s, err, errlen)) return -1;
    return ecg_sos_filtfilt(&s, x, n, (long)ceil(3.0 * fs / f_lo), y, err, errlen);
}

int ecg_resample(const float *x, long n, double fs_in, double fs_out, float **y, long *n_out, char *err,
                 size_t errlen) {
    *y = NULL;
    *n_out = 0;
    if (check_finite(x, n, "resample", err, errlen)) return -1;
    double ratio = fs_out / fs_in;
    if (!(fs_in > 0) || !(fs_out > 0) || !isfinite(ratio) || !src_is_valid_ratio(ratio)) {
        snprintf(err, errlen, "resample: unsupported rates %g -> %g Hz (ratio must be within 1/256..256)", fs_in,
                 fs_out);
        return -1;
    }
    double want_d = floor(n * ratio + 0.5);
    if (want_d > (double)(1L << 40)) {
        snprintf(err, errlen, "resample: %ld samples at ratio %g is too long", n, ratio);
        return -1;
    }
    long want = want_d < 1 ? 1 : (long)want_d;
    /* Room for what the converter may emit beyond `want` at the end of the input. */
    long cap = want + 16 + (long)ceil(ratio);
    float *out = malloc((size_t)cap * sizeof *out);
    if (!out) {
        snprintf(err, errlen, "resample: out of memory for %ld samples", cap);
        return -1;
    }
    SRC_DATA d = {0};
    d.data_in = x;
    d.input_frames = n;
    d.data_out = out;
    d.output_frames = cap;
    d.src_ratio = ratio;
    int rc = src_simple(&d, SRC_SINC_MEDIUM_QUALITY, 1);
    if (rc) {
        snprintf(err, errlen, "resample: libsamplerate: %s", src_strerror(rc));
        free(out);
        return -1;
    }
    long got = d.output_frames_gen;
    if (got < want) {
        /* The converter stops a fraction of a sample early at some ratios: hold the last value. */
        if (got < 1 || want - got > 2 + (long)ceil(ratio)) {
            snprintf(err, errlen, "resample: libsamplerate gave %ld of %ld samples", got, want);
            free(out);
            return -1;
        }
        for (long i = got; i < want; i++) out[i] = out[got - 1];
    }
    *y = out;
    *n_out = want;
    return 0;
}

int ecg_zscore(float *x, long n, char *err, size_t errlen) {
    if (check_finite(x, n, "z-score", err, errlen)) return -1;
    double mean = 0, peak = 0;
    for (long i = 0; i < n; i++) {
        mean += x[i];
        peak = fmax(peak, fabs(x[i]));
    }
    mean /= n;
    double var = 0;
    for (long i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    double sd = sqrt(var / n);
    if (!(sd > 1e-6 * peak) || !(sd > 0)) {
        snprintf(err, errlen, "z-score: flat signal (%ld samples, std %g, largest magnitude %g)", n, sd, peak);
        return -1;
    }
    for (long i = 0; i < n; i++) x[i] = (float)((x[i] - mean) / sd);
    return 0;
}

long ecg_crop_start(long n, long length, ecg_crop_mode mode) {
    if (n <= length) return 0;
    return mode == ECG_CROP_CENTER ? (n - length) / 2 : 0;
}

void ecg_crop_pad(const float *x, long n, int channels, long start, long length, float *out) {
    for (long t = 0; t < length; t++) {
        long src = start + t;
        for (int c = 0; c < channels; c++)
            out[t * channels + c] = (src >= 0 && src < n) ? x[src * channels + c] : 0.0f;
    }
}

/* synthetic: seeded ECG-like beats per AAMI class, for tests only (never for reported results).
 *
 * Each beat is a sum of Gaussian waves (P, Q, R, S, T) around an R peak at sample 90 of 252
 * (0.25 s before, 0.45 s after, at 360 Hz, like the mitdb-aami windows), in mV:
 *   N  P wave, narrow QRS, upright T
 *   S  premature (short pre-RR), abnormal P (inverted, early), narrow QRS
 *   V  no P, wide QRS, discordant T, short pre-RR and compensatory pause
 *   F  fusion: a random mix of the N and V shapes
 *   Q  paced: a sharp pacing spike before a wide QRS, no P, fixed RR
 * Amplitudes, widths and positions are jittered per beat; white noise and a baseline wander
 * sinusoid are added. Features: pre-RR, post-RR and local mean RR in seconds. The same seed
 * gives the same bytes; train and test draw from different streams of it. Every class has the
 * same count; the order is shuffled. record[i] is the beat's index (there is no patient). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"

enum { SYN_CLASSES = ECG_AAMI_N_CLASSES, SYN_FEATURES = ECG_SYNTH_N_FEATURES, SYN_R_AT = 90, SYN_WAVES = 6 };
static const char *const syn_class_names[SYN_CLASSES] = {"N", "S", "V", "F", "Q"};
const char *const ecg_synth_feature_names[SYN_FEATURES] = {"pre_rr_s", "post_rr_s", "local_rr_s"};

typedef struct {
    double amp, at, width; /* mV, s from the R peak, s (Gaussian sigma) */
} wave;

typedef struct {
    uint64_t s;
} syn_rng;

static uint64_t next_u64(syn_rng *r) {
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double uniform(syn_rng *r) { return (double)(next_u64(r) >> 11) * 0x1.0p-53; }
static double uniform_in(syn_rng *r, double lo, double hi) { return lo + (hi - lo) * uniform(r); }
static double normal(syn_rng *r) { /* Box-Muller; 1 - u keeps log away from 0 */
    double u = 1.0 - uniform(r), v = uniform(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* Base shapes (P, Q, R, S, T, extra); amp 0 means the wave is absent. */
static const wave shape_n[SYN_WAVES] = {{0.15, -0.20, 0.025}, {-0.10, -0.030, 0.008}, {1.00, 0, 0.010},
                                        {-0.20, 0.030, 0.008}, {0.30, 0.28, 0.045},   {0, 0, 1}};
static const wave shape_s[SYN_WAVES] = {{-0.12, -0.14, 0.020}, {-0.10, -0.030, 0.008}, {1.00, 0, 0.010},
                                        {-0.20, 0.030, 0.008}, {0.25, 0.26, 0.045},   {0, 0, 1}};
static const wave shape_v[SYN_WAVES] = {{0, 0, 1}, {0, 0, 1}, {1.10, 0, 0.035}, {-0.50, 0.070, 0.030},
                                        {-0.35, 0.30, 0.060}, {0, 0, 1}};
static const wave shape_q[SYN_WAVES] = {{0, 0, 1},          {0, 0, 1}, {0.90, 0, 0.030}, {-0.40, 0.060, 0.030},
                                        {-0.25, 0.30, 0.060}, {1.20, -0.045, 0.0015}};

/* The class's waves for one beat, before jitter. */
static void class_shape(int cls, syn_rng *r, wave *w) {
    const wave *base = cls == 0 ? shape_n : cls == 1 ? shape_s : cls == 2 ? shape_v : shape_q;
    if (cls != 3) {
        memcpy(w, base, sizeof(wave) * SYN_WAVES);
        return;
    }
    /* Fusion: N's P and Q scaled by (1 - m); R, S, T interpolated between N and V by m, so the QRS
     * is between narrow and wide and the T between upright and inverted. */
    double m = uniform_in(r, 0.35, 0.65);
    for (int i = 0; i < SYN_WAVES; i++) {
        w[i] = shape_n[i];
        w[i].amp *= 1.0 - m;
    }
    w[2].amp = (1.0 - m) * shape_n[2].amp + m * shape_v[2].amp;
    w[2].width = (1.0 - m) * shape_n[2].width + m * shape_v[2].width;
    w[3].amp = (1.0 - m) * shape_n[3].amp + m * shape_v[3].amp;
    w[3].at = (1.0 - m) * shape_n[3].at + m * shape_v[3].at;
    w[3].width = (1.0 - m) * shape_n[3].width + m * shape_v[3].width;
    w[4].amp = (1.0 - m) * shape_n[4].amp + m * shape_v[4].amp;
    w[4].width = (1.0 - m) * shape_n[4].width + m * shape_v[4].width;
}

/* RR features (s) for a class around a base rhythm. */
static void class_rr(int cls, syn_rng *r, float *f) {
    double rr = uniform_in(r, 0.6, 1.1), pre, post;
    switch (cls) {
    case 1: pre = rr * uniform_in(r, 0.55, 0.80), post = rr * uniform_in(r, 1.0, 1.3); break;
    case 2: pre = rr * uniform_in(r, 0.50, 0.80), post = rr * uniform_in(r, 1.2, 1.6); break;
    case 3: pre = rr * uniform_in(r, 0.85, 1.00), post = rr * (1.0 + 0.03 * normal(r)); break;
    case 4: rr = 0.857 + 0.005 * normal(r), pre = rr, post = rr; break; /* paced at 70 bpm */
    default: pre = rr * (1.0 + 0.03 * normal(r)), post = rr * (1.0 + 0.03 * normal(r)); break;
    }
    f[0] = (float)pre;
    f[1] = (float)post;
    f[2] = (float)rr;
}

static void make_beat(int cls, syn_rng *r, float *x, float *features) {
    wave w[SYN_WAVES];
    class_shape(cls, r, w);
    double scale = uniform_in(r, 0.7, 1.3);
    for (int i = 0; i < SYN_WAVES; i++) {
        w[i].amp *= scale * (1.0 + 0.1 * normal(r));
        w[i].at += (i == SYN_WAVES - 1 ? 0.002 : 0.008) * normal(r);
        w[i].width *= fmax(0.3, 1.0 + 0.1 * normal(r));
    }
    double noise = uniform_in(r, 0.01, 0.05), wander = uniform_in(r, 0.0, 0.15);
    double freq = uniform_in(r, 0.15, 0.5), phase = uniform_in(r, 0.0, 2.0 * M_PI);
    for (int i = 0; i < ECG_SYNTH_LENGTH; i++) {
        double t = (double)(i - SYN_R_AT) / ECG_SYNTH_FS, v = 0;
        for (int k = 0; k < SYN_WAVES; k++)
            if (w[k].amp != 0) v += w[k].amp * exp(-(t - w[k].at) * (t - w[k].at) / (2 * w[k].width * w[k].width));
        v += wander * sin(2.0 * M_PI * freq * (double)i / ECG_SYNTH_FS + phase) + noise * normal(r);
        x[i] = (float)v;
    }
    class_rr(cls, r, features);
}

int ecg_task_synthetic_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d, char *err,
                            size_t errlen) {
    (void)data_dir; /* generated, nothing to read */
    memset(d, 0, sizeof *d);
    int per;
    uint64_t stream;
    if (!strcmp(split, "train"))
        per = ECG_SYNTH_TRAIN_PER_CLASS, stream = 0x7261696eULL; /* "rain" */
    else if (!strcmp(split, "test"))
        per = ECG_SYNTH_TEST_PER_CLASS, stream = 0x74657374ULL;  /* "test" */
    else {
        snprintf(err, errlen, "synthetic: unknown split '%s' (splits: train, test)", split);
        return -1;
    }
    int n = per * SYN_CLASSES;
    syn_rng r = {seed * 0x2545f4914f6cdd1dULL ^ stream};
    d->x = malloc(sizeof *d->x * (size_t)n * ECG_SYNTH_LENGTH);
    d->y = malloc(sizeof *d->y * (size_t)n);
    d->features = malloc(sizeof *d->features * (size_t)n * SYN_FEATURES);
    d->record = malloc(sizeof *d->record * (size_t)n);
    if (!d->x || !d->y || !d->features || !d->record) {
        ecg_dataset_free(d);
        snprintf(err, errlen, "synthetic: out of memory for %d beats", n);
        return -1;
    }
    /* Shuffled class order with exactly `per` of each class. */
    for (int i = 0; i < n; i++) d->y[i] = i % SYN_CLASSES;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(next_u64(&r) % (uint64_t)(i + 1)), t = d->y[i];
        d->y[i] = d->y[j];
        d->y[j] = t;
    }
    for (int i = 0; i < n; i++) {
        make_beat(d->y[i], &r, d->x + (size_t)i * ECG_SYNTH_LENGTH, d->features + (size_t)i * SYN_FEATURES);
        d->record[i] = i;
    }
    snprintf(d->task, sizeof d->task, "synthetic");
    snprintf(d->split, sizeof d->split, "%s", split);
    d->n = n;
    d->length = ECG_SYNTH_LENGTH;
    d->channels = 1;
    d->n_classes = SYN_CLASSES;
    d->class_names = syn_class_names;
    d->n_features = SYN_FEATURES;
    d->feature_names = ecg_synth_feature_names;
    snprintf(d->data_version, sizeof d->data_version, "synthetic v1 (seed %llu; test data only)",
             (unsigned long long)seed);
    return 0;
}

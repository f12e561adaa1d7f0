/* Pan-Tompkins style QRS detector (Pan J, Tompkins WJ. A real-time QRS detection algorithm.
 * IEEE Trans Biomed Eng 32(3):230-236, 1985), run offline with zero-phase filters, and the
 * beat-by-beat matcher used to score it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"

/* Settings of the published algorithm, in seconds or as fractions. */
#define BP_LO_HZ 5.0
#define BP_HI_HZ 15.0
#define MWI_S 0.150         /* moving-window integration width */
#define REFRACTORY_S 0.200  /* no two beats closer than this */
#define TWAVE_S 0.360       /* a candidate this close to the last beat gets the slope test */
#define SLOPE_HALF_S 0.075  /* slope measured within this of the R peak */
#define RPEAK_HALF_S 0.125  /* R peak searched within this of the integrated peak */
#define LEARN_S 2.0         /* thresholds initialised from the first 2 s */
#define MISSED_RR 1.66      /* search back when no beat for this many RR averages */
#define RR_LOW 0.92         /* RR average 2 keeps intervals within [0.92, 1.16] of itself */
#define RR_HIGH 1.16
#define N_RR 8

typedef struct {
    long t;       /* peak of the integrated signal */
    double hi;    /* its height */
    long r;       /* R peak: largest |band-passed| near t */
    double hf;    /* |band-passed| there */
    double slope; /* largest |derivative| near r */
    int beat;     /* 1 once accepted */
} cand;

/* Adaptive levels of one signal (integrated or band-passed). */
typedef struct {
    double spk, npk;
} levels;

static double thr1(const levels *l) { return l->npk + 0.25 * (l->spk - l->npk); }

typedef struct {
    levels li, lf;
    double rr_recent[N_RR], rr_sel[N_RR];
    int n_rr, i_recent, i_sel;
    int irregular;
    long last_r;        /* -1 before the first beat */
    double last_slope;
    int last_c;         /* candidate index of the last beat */
    long *out;
    int n_out, cap_out;
} detector;

static double mean8(const double *v) {
    double s = 0;
    for (int i = 0; i < N_RR; i++) s += v[i];
    return s / N_RR;
}

static int push_beat(detector *d, long r) {
    if (d->n_out == d->cap_out) {
        int cap = d->cap_out ? 2 * d->cap_out : 256;
        long *p = realloc(d->out, (size_t)cap * sizeof *p);
        if (!p) return -1;
        d->out = p;
        d->cap_out = cap;
    }
    d->out[d->n_out++] = r;
    return 0;
}

/* RR bookkeeping after a beat at r: average 1 over the last 8 intervals, average 2 over the
 * last 8 that fell within [92 %, 116 %] of average 2; irregular when the newest interval
 * fell outside. */
static void update_rr(detector *d, long r) {
    if (d->last_r < 0) return;
    double rr = (double)(r - d->last_r);
    if (d->n_rr == 0)
        for (int i = 0; i < N_RR; i++) d->rr_recent[i] = d->rr_sel[i] = rr;
    d->n_rr++;
    d->rr_recent[d->i_recent] = rr;
    d->i_recent = (d->i_recent + 1) % N_RR;
    double avg2 = mean8(d->rr_sel);
    if (rr >= RR_LOW * avg2 && rr <= RR_HIGH * avg2) {
        d->rr_sel[d->i_sel] = rr;
        d->i_sel = (d->i_sel + 1) % N_RR;
        d->irregular = 0;
    } else {
        d->irregular = 1;
    }
}

static int accept(detector *d, cand *c, int ci, double weight) {
    d->li.spk = weight * c->hi + (1 - weight) * d->li.spk;
    d->lf.spk = weight * c->hf + (1 - weight) * d->lf.spk;
    update_rr(d, c->r);
    d->last_r = c->r;
    d->last_slope = c->slope;
    d->last_c = ci;
    c->beat = 1;
    return push_beat(d, c->r);
}

static void noise(detector *d, const cand *c) {
    d->li.npk = 0.125 * c->hi + 0.875 * d->li.npk;
    d->lf.npk = 0.125 * c->hf + 0.875 * d->lf.npk;
}

/* 1 when c looks like a T wave of the last beat: within 360 ms and less than half its slope. */
static int is_twave(const detector *d, const cand *c, double fs) {
    return d->last_r >= 0 && c->r - d->last_r < TWAVE_S * fs && c->slope < 0.5 * d->last_slope;
}

/* Search-back over candidates (last beat, upto): while the gap since the last beat exceeds
 * 166 % of the RR average, take the largest candidate above the second thresholds. */
static int search_back(detector *d, cand *cs, int upto, long now, double fs) {
    for (;;) {
        if (d->last_r < 0) return 0;
        double rr = d->n_rr ? (d->irregular ? mean8(d->rr_recent) : mean8(d->rr_sel)) : fs;
        if ((double)(now - d->last_r) <= MISSED_RR * rr) return 0;
        double ti2 = 0.5 * thr1(&d->li), tf2 = 0.5 * thr1(&d->lf);
        int best = -1;
        for (int j = d->last_c + 1; j < upto; j++) {
            cand *c = &cs[j];
            if (c->beat || c->r - d->last_r < REFRACTORY_S * fs || c->hi < ti2 || c->hf < tf2) continue;
            if (is_twave(d, c, fs)) continue;
            if (best < 0 || c->hi > cs[best].hi) best = j;
        }
        if (best < 0) return 0;
        if (accept(d, &cs[best], best, 0.25)) return -1;
    }
}

typedef struct {
    double h;
    long i;
} peak;

/* Taller first; equal heights: earlier first. */
static int by_height(const void *a, const void *b) {
    const peak *p = a, *q = b;
    if (p->h != q->h) return p->h < q->h ? 1 : -1;
    return (p->i > q->i) - (p->i < q->i);
}

/* Candidates: local maxima of the integrated signal, tallest first, none within the
 * refractory period of a taller one kept before it; returned in time order with their R
 * peak, its |band-passed| height and the largest slope around it. */
static int find_candidates(const double *mwi, const float *bp, const double *der, long n, double fs, cand **out,
                           int *n_out) {
    *out = NULL;
    *n_out = 0;
    long m = 0;
    for (long i = 1; i + 1 < n; i++) m += mwi[i] > mwi[i - 1] && mwi[i] >= mwi[i + 1];
    if (m == 0) return 0;
    if (m > 0x7fffffff) return -1;
    peak *pk = malloc((size_t)m * sizeof *pk);
    unsigned char *kept = calloc((size_t)n, 1);
    cand *cs = malloc((size_t)m * sizeof *cs);
    if (!pk || !kept || !cs) {
        free(pk), free(kept), free(cs);
        return -1;
    }
    m = 0;
    for (long i = 1; i + 1 < n; i++)
        if (mwi[i] > mwi[i - 1] && mwi[i] >= mwi[i + 1]) pk[m++] = (peak){mwi[i], i};
    qsort(pk, (size_t)m, sizeof *pk, by_height);
    long refr = (long)(REFRACTORY_S * fs);
    for (long k = 0; k < m; k++) {
        long t = pk[k].i, lo = t - refr < 0 ? 0 : t - refr, hi = t + refr >= n ? n - 1 : t + refr;
        int blocked = 0;
        for (long j = lo; j <= hi && !blocked; j++) blocked = kept[j];
        if (!blocked) kept[t] = 1;
    }
    free(pk);
    long half_r = (long)(RPEAK_HALF_S * fs), half_s = (long)(SLOPE_HALF_S * fs);
    int nc = 0;
    for (long t = 0; t < n; t++) {
        if (!kept[t]) continue;
        cand c = {.t = t, .hi = mwi[t]};
        long lo = t - half_r < 0 ? 0 : t - half_r, hi = t + half_r >= n ? n - 1 : t + half_r;
        c.r = lo;
        for (long j = lo; j <= hi; j++)
            if (fabsf(bp[j]) > fabsf(bp[c.r])) c.r = j;
        c.hf = fabsf(bp[c.r]);
        lo = c.r - half_s < 0 ? 0 : c.r - half_s;
        hi = c.r + half_s >= n ? n - 1 : c.r + half_s;
        for (long j = lo; j <= hi; j++) c.slope = fmax(c.slope, fabs(der[j]));
        cs[nc++] = c;
    }
    free(kept);
    *out = cs;
    *n_out = nc;
    return 0;
}

/* The decision stage over the candidates in time order. */
static int decide(cand *cs, int nc, const double *mwi, const float *bp, long n, double fs, detector *d) {
    /* Learning phase: signal levels from the largest peaks of the first 2 s, noise levels from
     * their means. */
    long learn = (long)(LEARN_S * fs) < n ? (long)(LEARN_S * fs) : n;
    double max_i = 0, max_f = 0, mean_i = 0, mean_f = 0;
    for (long i = 0; i < learn; i++) {
        max_i = fmax(max_i, mwi[i]);
        max_f = fmax(max_f, fabsf(bp[i]));
        mean_i += mwi[i];
        mean_f += fabsf(bp[i]);
    }
    d->li = (levels){max_i / 3, mean_i / learn / 2};
    d->lf = (levels){max_f / 3, mean_f / learn / 2};
    d->last_r = -1;
    d->last_c = -1;
    for (int ci = 0; ci < nc; ci++) {
        cand *c = &cs[ci];
        if (search_back(d, cs, ci, c->t, fs)) return -1;
        if (d->last_r >= 0 && c->r - d->last_r < REFRACTORY_S * fs) continue;
        double ti = thr1(&d->li), tf = thr1(&d->lf);
        if (d->irregular) ti *= 0.5, tf *= 0.5;
        if (c->hi >= ti && c->hf >= tf && !is_twave(d, c, fs)) {
            if (accept(d, c, ci, 0.125)) return -1;
        } else {
            noise(d, c);
        }
    }
    return search_back(d, cs, nc, n, fs);
}

int ecg_qrs_detect(const float *x, long n, double fs, long **peaks, int *n_peaks, char *err, size_t errlen) {
    *peaks = NULL;
    *n_peaks = 0;
    if (!(fs >= 50) || !(fs <= 100000)) {
        snprintf(err, errlen, "QRS detector: sampling rate %g Hz outside 50..100000", fs);
        return -1;
    }
    if (n < 1) {
        snprintf(err, errlen, "QRS detector: empty signal (%ld samples)", n);
        return -1;
    }
    for (long i = 0; i < n; i++)
        if (!isfinite(x[i])) {
            snprintf(err, errlen, "QRS detector: sample %ld of %ld is %s", i, n, isnan(x[i]) ? "NaN" : "infinite");
            return -1;
        }
    float *bp = malloc((size_t)n * sizeof *bp);
    double *der = calloc((size_t)n, sizeof *der), *mwi = calloc((size_t)n, sizeof *mwi);
    int rc = -1;
    cand *cs = NULL;
    int nc = 0;
    detector d = {0};
    if (!bp || !der || !mwi) {
        snprintf(err, errlen, "QRS detector: out of memory for %ld samples", n);
        goto done;
    }
    ecg_sos sos;
    if (ecg_bandpass_design(BP_LO_HZ, BP_HI_HZ, fs, 1, &sos, err, errlen) ||
        ecg_sos_filtfilt(&sos, x, n, (long)ceil(fs), bp, err, errlen))
        goto done;
    /* Five-point derivative with taps spaced as at 200 Hz (Pan-Tompkins' rate). */
    long h = lround(fs / 200.0) < 1 ? 1 : lround(fs / 200.0);
    for (long i = 2 * h; i + 2 * h < n; i++)
        der[i] = (2.0 * (bp[i + h] - bp[i - h]) + (bp[i + 2 * h] - bp[i - 2 * h])) * fs / (8.0 * h);
    /* Squaring and centred moving-window integration (a running sum). */
    long w = lround(MWI_S * fs), half = w / 2;
    double acc = 0;
    for (long i = 0; i < n + half; i++) {
        if (i < n) acc += der[i] * der[i];
        if (i - w >= 0) acc -= der[i - w] * der[i - w];
        if (i - half >= 0) mwi[i - half] = acc / w;
    }
    if (find_candidates(mwi, bp, der, n, fs, &cs, &nc) || decide(cs, nc, mwi, bp, n, fs, &d)) {
        snprintf(err, errlen, "QRS detector: out of memory");
        goto done;
    }
    *peaks = d.out;
    *n_peaks = d.n_out;
    d.out = NULL;
    rc = 0;
done:
    free(d.out);
    free(cs);
    free(bp);
    free(der);
    free(mwi);
    return rc;
}

/* ---------------------------------------------------------------- matcher */

typedef struct {
    long dist;
    int i, j;
} pair;

static int by_distance(const void *a, const void *b) {
    const pair *p = a, *q = b;
    if (p->dist != q->dist) return p->dist < q->dist ? -1 : 1;
    if (p->i != q->i) return p->i < q->i ? -1 : 1;
    return (p->j > q->j) - (p->j < q->j);
}

static int by_value(const void *a, const void *b) {
    long p = *(const long *)a, q = *(const long *)b;
    return (p > q) - (p < q);
}

int ecg_qrs_match(const long *ref, int n_ref, const long *det, int n_det, long window, int *tp, int *fp, int *fn) {
    *tp = *fp = *fn = 0;
    if (n_ref < 0 || n_det < 0 || window < 0) return -1;
    long *r = malloc((size_t)(n_ref + 1) * sizeof *r), *d = malloc((size_t)(n_det + 1) * sizeof *d);
    unsigned char *used_r = calloc((size_t)n_ref + 1, 1), *used_d = calloc((size_t)n_det + 1, 1);
    pair *pairs = NULL;
    int rc = -1;
    if (!r || !d || !used_r || !used_d) goto done;
    if (n_ref) memcpy(r, ref, (size_t)n_ref * sizeof *r);
    if (n_det) memcpy(d, det, (size_t)n_det * sizeof *d);
    qsort(r, (size_t)n_ref, sizeof *r, by_value);
    qsort(d, (size_t)n_det, sizeof *d, by_value);
    /* Every (reference, detection) pair within the window, by a sliding start index. */
    size_t np = 0, cap = 0;
    int j0 = 0;
    for (int i = 0; i < n_ref; i++) {
        while (j0 < n_det && d[j0] < r[i] - window) j0++;
        for (int j = j0; j < n_det && d[j] <= r[i] + window; j++) {
            if (np == cap) {
                cap = cap ? 2 * cap : 1024;
                pair *p = realloc(pairs, cap * sizeof *p);
                if (!p) goto done;
                pairs = p;
            }
            pairs[np++] = (pair){labs(d[j] - r[i]), i, j};
        }
    }
    if (np) qsort(pairs, np, sizeof *pairs, by_distance);
    int matched = 0;
    for (size_t k = 0; k < np; k++)
        if (!used_r[pairs[k].i] && !used_d[pairs[k].j]) {
            used_r[pairs[k].i] = used_d[pairs[k].j] = 1;
            matched++;
        }
    *tp = matched;
    *fn = n_ref - matched;
    *fp = n_det - matched;
    rc = 0;
done:
    free(r), free(d), free(used_r), free(used_d), free(pairs);
    return rc;
}

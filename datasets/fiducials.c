/* Wave boundaries around known beat positions (see datasets/fiducials.h). Rules, with the
 * slope s(t) = |x[t+1] - x[t-1]| / 2 and smax its largest value within +-80 ms of the beat:
 *   QRS   from the beat, walk outwards while slopes of at least 5% of smax keep coming (a stretch
 *         of smaller slope up to 30 ms long is bridged: a rounded R or S peak); the first slope
 *         peak inwards of where that stops is the outermost wave's (a Q or S wave, often far
 *         flatter than the R wave); the boundary is where the slope falls below 20% of that peak
 *         (and below 2% of smax).
 *         At most 150 ms before and 200 ms after the beat, never past the midpoint to a
 *         neighbouring beat. An isoelectric level b is the mean of x over the 20 ms before the
 *         QRS onset.
 *   T     the largest |x - b| from 60 to 450 ms after the QRS offset (and before 70% of the way to
 *         the next beat) is the T peak; the T end is where the tangent at the steepest point of
 *         the limb after the peak, the one falling back towards b, meets b (the usual tangent
 *         method), clipped to the window. No room for a window (a very early next beat): the T
 *         end is taken at the QRS offset (T duration 0).
 *   P     in the 200 ms to 10 ms before the QRS onset (not before the previous T end), on x
 *         smoothed by a 20 ms moving average (a noise spike is no P wave), against the straight
 *         line through the window's two ends (the mean of its first and of its last 10 ms): the
 *         level just before the QRS is no reference there, since baseline wander or a misplaced
 *         onset moves it as much as a P wave. The largest deviation d from that line is a P wave
 *         when it is at least p_floor and 1.5% of the QRS's peak-to-peak amplitude (on the same
 *         smoothed signal), at most 60% of it, at least 15 ms from both window edges, and a bump:
 *         the deviation falls below half of d on both sides, 30 to 160 ms apart (narrower is
 *         noise; wider is baseline drift). Then a P wave must recur: at least 4 of the 6 beats on
 *         either side have one of the same sign at the same distance before their R peak (+-35
 *         ms), as sinus rhythm's P waves do and the fibrillatory waves of atrial fibrillation do
 *         not (chosen on DS1's sinus and AFIB beats, `ecgbench data p-eval`; docs/data.md).
 * ecgpuwave (de Chazal's choice) works on a differentiated, low-passed signal with per-wave
 * thresholds and several wave morphologies; this is a deliberately plain stand-in. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "datasets/fiducials.h"

#define QRS_BACK_MS 150.0
#define QRS_FWD_MS 200.0
#define QRS_CORE_MS 80.0
#define CORE_FRAC 0.05
#define EDGE_FRAC 0.2
#define FLOOR_FRAC 0.02
#define GAP_MS 30.0
#define BASE_MS 20.0
#define T_START_MS 60.0
#define T_END_MS 450.0
#define T_RR_FRAC 0.7
#define T_MIN_WIN_MS 40.0
#define P_WIN_MS 200.0
#define P_GAP_MS 10.0
#define P_EDGE_MS 15.0
#define P_REL 0.015
#define P_MAX_REL 0.6
#define P_MIN_WIDTH_MS 30.0
#define P_MAX_WIDTH_MS 160.0
#define P_SMOOTH_MS 20.0
#define P_END_MS 10.0
#define P_NEIGHBOURS 6
#define P_AGREE_MS 35.0
#define P_AGREE_MIN 4

static long ms(double v, double fs) { return lround(v * fs / 1000.0); }

static double slope(const float *x, long n, long t) {
    if (n < 3) return 0;
    if (t < 1) t = 1;
    if (t > n - 2) t = n - 2;
    return 0.5 * ((double)x[t + 1] - (double)x[t - 1]);
}

static long lmax(long a, long b) { return a > b ? a : b; }
static long lmin(long a, long b) { return a < b ? a : b; }

/* From the beat, walk in direction dir (-1 onset, +1 offset) while slopes of at least `core`
 * keep coming (gaps up to `gap` bridged); returns the last such sample. */
static long walk_core(const float *x, long n, long r, int dir, long lim, double core, long gap) {
    long last = r;
    for (long t = r + dir; dir < 0 ? t >= lim : t <= lim; t += dir) {
        if (fabs(slope(x, n, t)) >= core) last = t;
        else if (labs(t - last) > gap) break;
    }
    return last;
}

/* The outermost wave of the QRS on one side: from the core's edge inwards, the first slope peak
 * (where |slope| stops rising) is that wave's; the boundary is where the slope falls below
 * EDGE_FRAC of it (not of the R wave's: a small Q or S wave is far flatter), or below
 * FLOOR_FRAC of smax, whichever is higher (a tiny first peak is noise). */
static long boundary(const float *x, long n, long edge, long r, int dir, long lim, double smax) {
    long pk = edge;
    while (pk != r && fabs(slope(x, n, pk - dir)) > fabs(slope(x, n, pk))) pk -= dir;
    const double stop = fmax(EDGE_FRAC * fabs(slope(x, n, pk)), FLOOR_FRAC * smax);
    long b = pk;
    while ((dir < 0 ? b > lim : b < lim) && fabs(slope(x, n, b + dir)) >= stop) b += dir;
    return b;
}

static void qrs_bounds(const float *x, long n, double fs, long r, long lo, long hi, long *on, long *off) {
    double smax = 0;
    for (long t = lmax(lo, r - ms(QRS_CORE_MS, fs)); t <= lmin(hi, r + ms(QRS_CORE_MS, fs)); t++)
        smax = fmax(smax, fabs(slope(x, n, t)));
    *on = *off = r;
    if (smax <= 0) return;
    const long gap = ms(GAP_MS, fs);
    *on = boundary(x, n, walk_core(x, n, r, -1, lo, CORE_FRAC * smax, gap), r, -1, lo, smax);
    *off = boundary(x, n, walk_core(x, n, r, +1, hi, CORE_FRAC * smax, gap), r, +1, hi, smax);
}

/* Tangent-method T end in [ts, te] around level b; off when the window is too short. */
static long t_end(const float *x, long n, double fs, long off, long ts, long te, double b) {
    if (te - ts < ms(T_MIN_WIN_MS, fs)) return off;
    long tp = ts;
    for (long t = ts; t <= te; t++)
        if (fabs(x[t] - b) > fabs(x[tp] - b)) tp = t;
    const double sgn = x[tp] >= b ? 1.0 : -1.0;
    long tm = -1;
    double best = 0;
    for (long t = tp + 1; t <= te; t++) {
        double s = -sgn * slope(x, n, t); /* rate of return towards b */
        if (s > best) best = s, tm = t;
    }
    if (tm < 0) return te;
    double dist = sgn * (x[tm] - b); /* how far from b the tangent point still is */
    double end = tm + (dist > 0 ? dist / best : 0);
    return end > te ? te : lround(end);
}

/* x averaged over the 2h+1 samples around t (clipped to the record). */
static double smoothed(const float *x, long n, long t, long h) {
    double sum = 0;
    long a = lmax(0, t - h), z = lmin(n - 1, t + h);
    for (long u = a; u <= z; u++) sum += x[u];
    return sum / (double)(z - a + 1);
}

/* Deviation of the smoothed x at t from the line a0 at ps .. a1 at pe. */
static double p_dev(const float *x, long n, long t, long h, long ps, long pe, double a0, double a1) {
    return smoothed(x, n, t, h) - (a0 + (a1 - a0) * (double)(t - ps) / (double)(pe - ps));
}

/* P wave in [ps, pe] (rules above); fills p_on/p_off and returns 1 when present. */
static int p_wave(const float *x, long n, double fs, long ps, long pe, double qrs_amp, double p_floor,
                  ecg_fiducials *f) {
    f->p_on = f->p_off = f->p_peak = -1;
    f->p_amp = 0;
    if (pe - ps < 2 * ms(P_EDGE_MS, fs)) return 0;
    const long h = ms(P_SMOOTH_MS, fs) / 2, end = lmax(1, ms(P_END_MS, fs));
    double a0 = 0, a1 = 0;
    for (long t = ps; t < ps + end; t++) a0 += smoothed(x, n, t, h) / (double)end;
    for (long t = pe - end; t <= pe; t++) a1 += smoothed(x, n, t, h) / (double)(end + 1);
    long pp = ps;
    double a = 0;
    for (long t = ps; t <= pe; t++) {
        double v = fabs(p_dev(x, n, t, h, ps, pe, a0, a1));
        if (v > a) a = v, pp = t;
    }
    if (a < p_floor || a < P_REL * qrs_amp || a > P_MAX_REL * qrs_amp) return 0;
    if (pp - ps < ms(P_EDGE_MS, fs) || pe - pp < ms(P_EDGE_MS, fs)) return 0;
    long on = -1, offp = -1;
    for (long t = pp - 1; t >= ps && on < 0; t--)
        if (fabs(p_dev(x, n, t, h, ps, pe, a0, a1)) < 0.5 * a) on = t;
    for (long t = pp + 1; t <= pe && offp < 0; t++)
        if (fabs(p_dev(x, n, t, h, ps, pe, a0, a1)) < 0.5 * a) offp = t;
    if (on < 0 || offp < 0) return 0;
    long w = offp - on;
    if (w < ms(P_MIN_WIDTH_MS, fs) || w > ms(P_MAX_WIDTH_MS, fs)) return 0;
    f->p_on = on, f->p_off = offp, f->p_peak = pp;
    f->p_amp = p_dev(x, n, pp, h, ps, pe, a0, a1);
    return 1;
}

ecg_p_features ecg_p_wave_features(const ecg_fiducials *f, double fs) {
    ecg_p_features p = {0, NAN, NAN, NAN};
    if (!f->p_present || f->p_on < 0 || f->p_off < f->p_on || !(fs > 0)) return p;
    p.present = 1;
    p.amp = f->p_amp;
    p.width_ms = 1000.0 * (double)(f->p_off - f->p_on) / fs;
    p.pr_ms = 1000.0 * (double)(f->qrs_on - f->p_on) / fs;
    return p;
}

/* Keeps a beat's P wave only when at least P_AGREE_MIN of the P_NEIGHBOURS beats on either side
 * have one of the same sign at the same distance before their R peak (+-P_AGREE_MS). */
static int p_consistency(const long *r, int n_beats, double fs, ecg_fiducials *out, char *err, size_t errlen) {
    int *keep = malloc((size_t)(n_beats + 1) * sizeof *keep);
    if (!keep) {
        snprintf(err, errlen, "delineate: out of memory (%d beats)", n_beats);
        return -1;
    }
    const long tol = ms(P_AGREE_MS, fs);
    for (int i = 0; i < n_beats; i++) {
        int agree = 0;
        for (int j = i - P_NEIGHBOURS; j <= i + P_NEIGHBOURS && out[i].p_present; j++)
            if (j >= 0 && j < n_beats && j != i && out[j].p_present && (out[j].p_amp > 0) == (out[i].p_amp > 0) &&
                labs((r[j] - out[j].p_peak) - (r[i] - out[i].p_peak)) <= tol)
                agree++;
        keep[i] = agree >= P_AGREE_MIN;
    }
    for (int i = 0; i < n_beats; i++)
        if (!keep[i]) out[i].p_present = 0, out[i].p_on = out[i].p_off = out[i].p_peak = -1, out[i].p_amp = 0;
    free(keep);
    return 0;
}

int ecg_delineate(const float *x, long n, double fs, const long *r, int n_beats, double p_floor, ecg_fiducials *out,
                  char *err, size_t errlen) {
    if (!(fs >= 50 && fs <= 100000) || n < 1 || n_beats < 0 || !(p_floor >= 0)) {
        snprintf(err, errlen, "delineate: bad arguments (fs %g Hz, %ld samples, %d beats, P floor %g)", fs, n, n_beats,
                 p_floor);
        return -1;
    }
    for (long t = 0; t < n; t++)
        if (!isfinite(x[t])) {
            snprintf(err, errlen, "delineate: sample %ld is not finite (%g)", t, (double)x[t]);
            return -1;
        }
    for (int i = 0; i < n_beats; i++)
        if (r[i] < 0 || r[i] >= n || (i > 0 && r[i] <= r[i - 1])) {
            snprintf(err, errlen, "delineate: beat %d at sample %ld is outside the record (0..%ld) or not after "
                     "beat %d", i, r[i], n - 1, i - 1);
            return -1;
        }
    for (int i = 0; i < n_beats; i++) {
        ecg_fiducials *f = &out[i];
        const long prev = i > 0 ? r[i - 1] : -1, next = i + 1 < n_beats ? r[i + 1] : -1;
        long lo = lmax(0, r[i] - ms(QRS_BACK_MS, fs)), hi = lmin(n - 1, r[i] + ms(QRS_FWD_MS, fs));
        if (prev >= 0) lo = lmax(lo, (prev + r[i]) / 2 + 1);
        if (next >= 0) hi = lmin(hi, (r[i] + next) / 2);
        qrs_bounds(x, n, fs, r[i], lo, hi, &f->qrs_on, &f->qrs_off);

        double b = 0, qmin = INFINITY, qmax = -INFINITY;
        long b0 = lmax(0, f->qrs_on - ms(BASE_MS, fs));
        for (long t = b0; t <= f->qrs_on; t++) b += x[t];
        b /= (double)(f->qrs_on - b0 + 1);
        for (long t = f->qrs_on; t <= f->qrs_off; t++) { /* on the P rule's smoothed signal: like with like */
            double v = smoothed(x, n, t, ms(P_SMOOTH_MS, fs) / 2);
            qmin = fmin(qmin, v), qmax = fmax(qmax, v);
        }

        long ts = f->qrs_off + ms(T_START_MS, fs), te = f->qrs_off + ms(T_END_MS, fs);
        if (next >= 0) te = lmin(te, r[i] + (long)(T_RR_FRAC * (double)(next - r[i])));
        te = lmin(te, n - 1);
        f->t_off = t_end(x, n, fs, f->qrs_off, ts, te, b);
        if (f->t_off < f->qrs_off) f->t_off = f->qrs_off;

        long ps = lmax(0, f->qrs_on - ms(P_WIN_MS, fs)), pe = f->qrs_on - ms(P_GAP_MS, fs);
        if (i > 0) ps = lmax(ps, out[i - 1].t_off + 1);
        f->p_present = p_wave(x, n, fs, ps, pe, qmax - qmin, p_floor, f);
    }
    return p_consistency(r, n_beats, fs, out, err, errlen);
}

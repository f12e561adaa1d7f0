/* Task mitdb-aami: MIT-BIH Arrhythmia beats in AAMI classes, windowed around the reference
 * annotations, with RR and patient features; de Chazal's inter-patient splits and a seeded
 * intra-patient split.
 *
 * Window: 0.25 s before and 0.45 s after each annotated beat (90 + 162 = 252 samples at 360 Hz)
 * from the MLII lead (signal 0 in every record but 114, where the leads are swapped), in mV,
 * band-passed 0.5-40 Hz without phase shift (ecg_bandpass).
 * mitdb-aami-2lead and mitdb-aami-2lead-v1 are the same beats with a second channel: the record's
 * other lead (V1 in most records; V2 in 103 and 117, V4 in 124, V5 in 100, 114 and 123), or V1
 * only, dropping the records without it. Leads are found by their header name, never by index
 * (114 stores V5 first).
 * mitdb-aami-template adds, as channel 1, the beat minus the record's median MLII beat (the
 * per-sample median of all its beats' windows): how the beat departs from what this patient's beats
 * usually look like, so a model can judge a beat against its own patient rather than against the
 * training patients (the RR ratios do the same for timing). It uses the annotated beat positions
 * only, as the RR features do, never the labels. A channel of differences rather than the median
 * beat itself: both hold the same information, but on a DS1-only probe (record-grouped 5-fold CV,
 * an MLP on the beat and the RR ratios) the difference raised accuracy from 0.856 to 0.899 and the
 * raw median beat lowered it to 0.831.
 * mitdb-aami-2lead-template holds both: MLII, the other lead, MLII minus its median beat.
 * Beats whose window runs past the record's start or end are kept, padded with the edge
 * sample: de Chazal count every annotated beat, so dropping them would shift the counts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasets/datasets.h"
#include "datasets/fiducials.h"

#define MITDB_FS 360.0
#define WIN_BEFORE 90   /* 0.25 s at 360 Hz */
#define WIN_AFTER 162   /* 0.45 s */
#define WIN_LEN (WIN_BEFORE + WIN_AFTER)
_Static_assert(WIN_LEN == ECG_MITDB_WINDOW, "datasets.h advertises the window length");
#define N_VAL_RECORDS 4 /* of DS1's 22, chosen by the seed */
#define VAL_MIN_SHARE 0.1 /* of DS1's S and of its V beats the validation records must hold */
#define VAL_MAX_SHARE 0.5 /* of DS1's S, V and F beats they may hold, so training keeps each class */
#define VAL_MAX_DRAWS 1000
#define INTRA_TEST_FRACTION 0.2
#define INTRA_SEED_SALT 0x696e747261ULL /* "intra": the intra split does not reuse the val draw */
#define INTRA_VAL_FRACTION 0.1 /* of intra-train, for mitdb-aami-intra's val */
#define INTRA_VAL_SALT 0x696e76616cULL /* "inval" */

enum { F_AGE = ECG_RR_N_FEATURES, F_AGE_UNKNOWN, F_SEX, F_SEX_UNKNOWN, F_P_PRESENT, F_P_AMP, F_P_WIDTH, F_P_PR, F_RR_IRREG, N_FEATURES };
_Static_assert(N_FEATURES == ECG_MITDB_N_FEATURES, "feature count");

const char *const ecg_mitdb_feature_names[ECG_MITDB_N_FEATURES] = {
    "rr_pre_s", "rr_post_s", "rr_local_s", "rr_pre_norm", "rr_post_norm", "rr_local_norm", "rr_pre_local",
    "rr_post_local", "age", "age_unknown", "sex_male", "sex_unknown", "p_present", "p_amp_mv", "p_width_s", "p_pr_s",
    "rr_irregularity",
};
static const char *const split_names[] = {"ds1", "ds2", "train", "val", "test", "intra-train", "intra-test"};
#define N_SPLITS (int)(sizeof split_names / sizeof split_names[0])

/* ---------------------------------------------------------------- seeded choice */

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ecg_seeded_pick(uint64_t seed, int n, int k, unsigned char *picked) {
    if (n <= 0) return;
    if (k < 0) k = 0;
    if (k > n) k = n;
    int *idx = malloc((size_t)n * sizeof *idx);
    memset(picked, 0, (size_t)n);
    if (!idx) { /* no memory: fall back to an evenly spaced, still deterministic choice */
        for (int j = 0; j < k; j++) picked[(int)((long long)j * n / k)] = 1;
        return;
    }
    for (int i = 0; i < n; i++) idx[i] = i;
    uint64_t s = seed;
    for (int i = 0; i < k; i++) { /* partial Fisher-Yates: idx[0..k) is a uniform k-subset */
        int j = i + (int)(splitmix64(&s) % (uint64_t)(n - i));
        int tmp = idx[i];
        idx[i] = idx[j];
        idx[j] = tmp;
        picked[idx[i]] = 1;
    }
    free(idx);
}

/* ---------------------------------------------------------------- growing beat arrays */

typedef struct {
    float *x, *f;    /* x: WIN_LEN * c values per beat, time-major */
    int *y, *rec;
    int n, cap, c;   /* c: channels (leads) per beat */
} beats;

static int beats_reserve(beats *b, int more, char *err, size_t errlen) {
    if (b->n + more <= b->cap) return 0;
    int cap = b->cap ? b->cap : 4096;
    while (cap < b->n + more) cap *= 2;
    float *x = realloc(b->x, (size_t)cap * WIN_LEN * (size_t)b->c * sizeof *x);
    if (x) b->x = x;
    float *f = realloc(b->f, (size_t)cap * N_FEATURES * sizeof *f);
    if (f) b->f = f;
    int *y = realloc(b->y, (size_t)cap * sizeof *y);
    if (y) b->y = y;
    int *rec = realloc(b->rec, (size_t)cap * sizeof *rec);
    if (rec) b->rec = rec;
    if (!x || !f || !y || !rec) {
        snprintf(err, errlen, "mitdb-aami: out of memory for %d beats", cap);
        return -1;
    }
    b->cap = cap;
    return 0;
}

static void beats_free(beats *b) {
    free(b->x);
    free(b->f);
    free(b->y);
    free(b->rec);
    memset(b, 0, sizeof *b);
}

/* Keeps beat i where keep[i]; order is preserved. */
static void beats_compact(beats *b, const unsigned char *keep) {
    int m = 0;
    size_t ex = (size_t)WIN_LEN * (size_t)b->c;
    for (int i = 0; i < b->n; i++) {
        if (!keep[i]) continue;
        if (m != i) {
            memcpy(b->x + (size_t)m * ex, b->x + (size_t)i * ex, ex * sizeof *b->x);
            memcpy(b->f + (size_t)m * N_FEATURES, b->f + (size_t)i * N_FEATURES, N_FEATURES * sizeof *b->f);
            b->y[m] = b->y[i];
            b->rec[m] = b->rec[i];
        }
        m++;
    }
    b->n = m;
}

/* ---------------------------------------------------------------- one record */

/* The leads a mitdb task windows, found by their header names: channel 0 is MLII; a second
 * channel is `second` (records without it are dropped from the task) or, when `second` is NULL,
 * the record's one other signal whatever its name. With `template`, one more channel follows the
 * leads: channel 0 minus the record's median beat of channel 0. */
typedef struct {
    const char *task;     /* names the task in messages and in the dataset */
    int n_leads;          /* 1 or 2 */
    const char *second;   /* see above; unused when n_leads is 1 */
    const char *version;  /* the leads in data_version ("" for mitdb-aami, whose committed runs name none) */
    int template;         /* 1: a last channel holds the beat minus the record's median MLII beat */
} lead_set;
#define MAX_LEADS 2

static const lead_set leads_mlii = {"mitdb-aami", 1, NULL, "", 0};
static const lead_set leads_mlii_other = {"mitdb-aami-2lead", 2, NULL, ", leads MLII + the other", 0};
static const lead_set leads_mlii_v1 = {"mitdb-aami-2lead-v1", 2, "V1", ", leads MLII + V1", 0};
static const lead_set leads_mlii_template = {"mitdb-aami-template", 1, NULL,
                                             ", MLII + MLII minus its median beat", 1};
static const lead_set leads_mlii_other_template = {"mitdb-aami-2lead-template", 2, NULL,
                                                   ", leads MLII + the other + MLII minus its median beat", 1};

static int channels_of(const lead_set *ls) { return ls->n_leads + ls->template; }

static int find_lead(const ecg_wfdb_header *h, const char *name) {
    for (int s = 0; s < h->n_sig; s++)
        if (!strcmp(h->sig[s].description, name)) return s;
    return -1;
}

/* Signal indices of the task's leads in this record into idx[0 .. ls->n_leads); `what` names
 * the record. A missing lead is an error naming the record and the lead. */
static int resolve_leads(const ecg_wfdb_header *h, const lead_set *ls, const char *what, int *idx, char *err,
                         size_t errlen) {
    if ((idx[0] = find_lead(h, "MLII")) < 0) {
        snprintf(err, errlen, "%s.hea: no MLII signal (%s windows the MLII lead)", what, ls->task);
        return -1;
    }
    if (ls->n_leads < 2) return 0;
    if (ls->second) {
        if ((idx[1] = find_lead(h, ls->second)) < 0) {
            snprintf(err, errlen, "%s.hea: no %s signal (%s windows MLII and %s)", what, ls->second, ls->task,
                     ls->second);
            return -1;
        }
        return 0;
    }
    return ecg_mitdb_mlii_and_other(h, what, ls->task, &idx[0], &idx[1], err, errlen);
}

int ecg_mitdb_mlii_and_other(const ecg_wfdb_header *h, const char *what, const char *who, int *mlii, int *other,
                             char *err, size_t errlen) {
    if ((*mlii = find_lead(h, "MLII")) < 0) {
        snprintf(err, errlen, "%s.hea: no MLII signal (%s takes MLII and the record's other lead)", what, who);
        return -1;
    }
    int others = 0;
    for (int s = 0; s < h->n_sig; s++)
        if (s != *mlii) *other = s, others++;
    if (others != 1) {  /* MIT-BIH records have exactly two signals; anything else is not the data we know */
        snprintf(err, errlen, "%s.hea: %d signals besides MLII; %s takes MLII and the record's one other lead", what,
                 others, who);
        return -1;
    }
    return 0;
}

/* A lead in mV after the default zero-phase band-pass (0.5-40 Hz, preprocess.c): removes baseline
 * wander and mains/muscle noise without shifting the beat inside its window. */
float *ecg_mitdb_lead_mv(const ecg_wfdb_header *h, const int32_t *adc, int lead, const char *what, char *err,
                         size_t errlen) {
    float *v = malloc((size_t)h->n_samples * sizeof *v);
    if (!v) {
        snprintf(err, errlen, "%s: out of memory", what);
        return NULL;
    }
    for (long t = 0; t < h->n_samples; t++) v[t] = ecg_wfdb_physical(&h->sig[lead], adc[t * h->n_sig + lead]);
    char e2[512];
    if (ecg_bandpass(v, h->n_samples, h->fs, ECG_BANDPASS_LO_HZ, ECG_BANDPASS_HI_HZ, v, e2, sizeof e2)) {
        snprintf(err, errlen, "%s (signal %d): %s", what, lead, e2);
        free(v);
        return NULL;
    }
    return v;
}

int ecg_mitdb_aami_beats(const char *what, const ecg_wfdb_ann *ann, int n_ann, long n_samples, long *at, int *cls,
                         char *err, size_t errlen) {
    int n = 0;
    for (int i = 0; i < n_ann; i++) {
        int c = ecg_aami_class_of_code(ann[i].code);
        if (c < 0) continue;
        if (ann[i].sample < 0 || ann[i].sample >= n_samples) {
            snprintf(err, errlen, "%s: annotation %d ('%s') at sample %ld lies outside the record (0..%ld)", what,
                     i, ecg_wfdb_ann_symbol(ann[i].code), ann[i].sample, n_samples - 1);
            return -1;
        }
        at[n] = ann[i].sample;
        cls[n++] = c;
    }
    return n;
}

/* Copies beat windows into b: channel k < n_leads of beat i from leads[k] (time-major, WIN_LEN x
 * b->c), samples past the record's ends taking the edge sample. */
static void copy_windows(beats *b, float *const *leads, int n_leads, long n_samples, const long *at, int n) {
    for (int i = 0; i < n; i++) {
        float *x = b->x + (size_t)(b->n + i) * WIN_LEN * (size_t)b->c;
        for (int j = 0; j < WIN_LEN; j++) {
            long s = at[i] - WIN_BEFORE + j;
            s = s < 0 ? 0 : s >= n_samples ? n_samples - 1 : s;   /* edge padding */
            for (int k = 0; k < n_leads; k++) x[j * b->c + k] = leads[k][s];
        }
    }
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Fills the last channel of the record's n beats (from beat index b->n on) with their channel 0
 * minus the record's median beat: the per-sample median of channel 0 over the n beats (the mean of
 * the two middle values when n is even). Returns -1 when out of memory. */
static int fill_minus_median(beats *b, int n) {
    if (n < 1) return 0;
    float *col = malloc((size_t)n * sizeof *col), *median = malloc(WIN_LEN * sizeof *median);
    if (!col || !median) {
        free(col);
        free(median);
        return -1;
    }
    const size_t ex = (size_t)WIN_LEN * (size_t)b->c;
    float *first = b->x + (size_t)b->n * ex;
    for (int j = 0; j < WIN_LEN; j++) {
        for (int i = 0; i < n; i++) col[i] = first[(size_t)i * ex + (size_t)j * (size_t)b->c];
        qsort(col, (size_t)n, sizeof *col, cmp_float);
        median[j] = n % 2 ? col[n / 2] : 0.5f * (col[n / 2 - 1] + col[n / 2]);
    }
    float *last = first + (b->c - 1);   /* the last channel of the record's first beat */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < WIN_LEN; j++) {
            size_t at = (size_t)i * ex + (size_t)j * (size_t)b->c;
            last[at] = first[at] - median[j];
        }
    free(col);
    free(median);
    return 0;
}

static int load_record(const char *dir, int record, const lead_set *ls, beats *b, char *err, size_t errlen) {
    char name[32], path[1200], what[1200];
    snprintf(name, sizeof name, "%d", record);
    snprintf(what, sizeof what, "%s/%d", dir, record);
    ecg_wfdb_header h;
    memset(&h, 0, sizeof h);
    int32_t *adc = NULL;
    long n_invalid = 0;
    ecg_wfdb_ann *ann = NULL;
    int n_ann = 0, rc = -1, idx[MAX_LEADS];
    float *sig[MAX_LEADS] = {NULL}, *rr = NULL, *irr = NULL;
    double *t = NULL;
    int *cls = NULL;
    long *at = NULL;
    ecg_fiducials *fid = NULL;
    if (ecg_wfdb_read_record(dir, name, &h, &adc, &n_invalid, err, errlen)) return -1;
    if (resolve_leads(&h, ls, what, idx, err, errlen)) goto out;
    if (fabs(h.fs - MITDB_FS) > 1e-9 || h.n_samples < 1) {
        snprintf(err, errlen, "%s.hea: %g Hz, %ld samples; %s expects 360 Hz and a sample count", what, h.fs,
                 h.n_samples, ls->task);
        goto out;
    }
    snprintf(path, sizeof path, "%s/%d.atr", dir, record);
    if (ecg_wfdb_read_annotations(path, &ann, &n_ann, err, errlen)) goto out;
    t = malloc((size_t)(n_ann ? n_ann : 1) * sizeof *t);
    cls = malloc((size_t)(n_ann ? n_ann : 1) * sizeof *cls);
    at = malloc((size_t)(n_ann ? n_ann : 1) * sizeof *at);
    for (int k = 0; k < ls->n_leads; k++)   /* each lead preprocessed on its own, as the single-lead task */
        if (!(sig[k] = ecg_mitdb_lead_mv(&h, adc, idx[k], what, err, errlen))) goto out;
    if (!t || !cls || !at) {
        snprintf(err, errlen, "%s: out of memory", what);
        goto out;
    }
    int n = ecg_mitdb_aami_beats(path, ann, n_ann, h.n_samples, at, cls, err, errlen);
    if (n < 0) goto out;
    for (int i = 0; i < n; i++) t[i] = (double)at[i] / h.fs;
    rr = malloc((size_t)(n ? n : 1) * ECG_RR_N_FEATURES * sizeof *rr);
    irr = malloc((size_t)(n ? n : 1) * sizeof *irr);
    fid = malloc((size_t)(n ? n : 1) * sizeof *fid);
    if (!rr || !irr || !fid) {
        snprintf(err, errlen, "%s: out of memory", what);
        goto out;
    }
    /* RR from the task's beats (the AAMI-classed annotations): in MIT-BIH those are every QRS. */
    if (ecg_rr_features(t, n, path, rr, err, errlen)) goto out;
    ecg_rr_irregularity(t, n, rr, irr);
    /* P waves on channel 0 (MLII in every mitdb task), before the task's beats */
    if (ecg_delineate(sig[0], h.n_samples, h.fs, at, n, ECG_FIDUCIAL_P_FLOOR_MV, fid, err, errlen)) goto out;
    if (beats_reserve(b, n, err, errlen)) goto out;
    copy_windows(b, sig, ls->n_leads, h.n_samples, at, n);
    if (ls->template && fill_minus_median(b, n)) {
        snprintf(err, errlen, "%s: out of memory for its median beat", what);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        float *f = b->f + (size_t)(b->n + i) * N_FEATURES;
        memcpy(f, rr + (size_t)i * ECG_RR_N_FEATURES, ECG_RR_N_FEATURES * sizeof *f);
        f[F_AGE] = h.age >= 0 ? (float)h.age / 100.0f : 0.5f;
        f[F_AGE_UNKNOWN] = h.age >= 0 ? 0.0f : 1.0f;
        f[F_SEX] = h.sex == 'M' ? 1.0f : h.sex == 'F' ? 0.0f : 0.5f;
        f[F_SEX_UNKNOWN] = h.sex == 'M' || h.sex == 'F' ? 0.0f : 1.0f;
        /* a beat without a P wave has p_present 0 and zeros, not made-up values, in the other three */
        ecg_p_features p = ecg_p_wave_features(&fid[i], h.fs);
        f[F_P_PRESENT] = (float)p.present;
        f[F_P_AMP] = p.present ? (float)p.amp : 0.0f;
        f[F_P_WIDTH] = p.present ? (float)(p.width_ms / 1000.0) : 0.0f;
        f[F_P_PR] = p.present ? (float)(p.pr_ms / 1000.0) : 0.0f;
        f[F_RR_IRREG] = irr[i];
        b->y[b->n + i] = cls[i];
        b->rec[b->n + i] = record;
    }
    b->n += n;
    rc = 0;
out:
    free(fid);
    free(irr);
    free(rr);
    for (int k = 0; k < MAX_LEADS; k++) free(sig[k]);
    free(t);
    free(cls);
    free(at);
    free(ann);
    free(adc);
    ecg_wfdb_header_free(&h);
    return rc;
}

/* ---------------------------------------------------------------- validation records */

/* Beats per AAMI class in each record, from the annotations alone (cheap: no signal). */
static int record_class_counts(const char *dir, const int *recs, int n, int (*counts)[ECG_AAMI_N_CLASSES],
                               char *err, size_t errlen) {
    for (int r = 0; r < n; r++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%d.atr", dir, recs[r]);
        ecg_wfdb_ann *ann = NULL;
        int n_ann = 0;
        if (ecg_wfdb_read_annotations(path, &ann, &n_ann, err, errlen)) return -1;
        memset(counts[r], 0, sizeof counts[r]);
        for (int i = 0; i < n_ann; i++) {
            int c = ecg_aami_class_of_code(ann[i].code);
            if (c >= 0) counts[r][c]++;
        }
        free(ann);
    }
    return 0;
}

/* A seeded choice of N_VAL_RECORDS DS1 records that holds at least VAL_MIN_SHARE of DS1's S and of
 * its V beats: a plain random choice often leaves validation with a handful of S beats (seed 0
 * gave 3 of 944), which makes model selection on S meaningless. It also holds at most
 * VAL_MAX_SHARE of DS1's S, V and F beats: F sits mostly in one record (208: 373 of 415), and
 * a draw that took it left training 40 F beats. Draw d uses seed ^ (d * an odd constant), so
 * neighbouring seeds do not share draws; the first draw that qualifies wins, so the choice is
 * still a pure function of the seed and the data. */
static int choose_val(const char *dir, uint64_t seed, const int *ds1, int n1, unsigned char *val, char *err,
                      size_t errlen) {
    int counts[32][ECG_AAMI_N_CLASSES];
    if (record_class_counts(dir, ds1, n1, counts, err, errlen)) return -1;
    static const int capped[] = {ECG_AAMI_S, ECG_AAMI_V, ECG_AAMI_F};
    int total[ECG_AAMI_N_CLASSES] = {0};
    for (int r = 0; r < n1; r++)
        for (int c = 0; c < ECG_AAMI_N_CLASSES; c++) total[c] += counts[r][c];
    for (int d = 0; d < VAL_MAX_DRAWS; d++) {
        ecg_seeded_pick(seed ^ ((uint64_t)d * 0xd1b54a32d192ed03ULL), n1, N_VAL_RECORDS, val);
        int held[ECG_AAMI_N_CLASSES] = {0};
        for (int r = 0; r < n1; r++)
            for (int c = 0; c < ECG_AAMI_N_CLASSES && val[r]; c++) held[c] += counts[r][c];
        int ok = held[ECG_AAMI_S] >= VAL_MIN_SHARE * total[ECG_AAMI_S] &&
                 held[ECG_AAMI_V] >= VAL_MIN_SHARE * total[ECG_AAMI_V];
        for (int i = 0; i < (int)(sizeof capped / sizeof capped[0]); i++)
            ok = ok && held[capped[i]] <= VAL_MAX_SHARE * total[capped[i]];
        if (ok) return 0;
    }
    ecg_seeded_pick(seed, n1, N_VAL_RECORDS, val);   /* no draw qualified: keep the plain choice */
    return 0;
}

/* ---------------------------------------------------------------- data version */

/* ecg_hash_bytes (FNV-1a 64) of SHA256SUMS: names the exact file set in a few characters. */
static int sums_hash(const char *dir, uint64_t *hash) {
    char path[1200];
    snprintf(path, sizeof path, "%s/SHA256SUMS", dir);
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    uint64_t h = ECG_HASH_INIT;
    unsigned char buf[4096];
    for (size_t got; (got = fread(buf, 1, sizeof buf, fp)) > 0;) h = ecg_hash_bytes(h, buf, got);
    int bad = ferror(fp);
    fclose(fp);
    *hash = h;
    return bad ? -1 : 0;
}

/* ---------------------------------------------------------------- loader */

/* Keeps beat i of b where pick[i] == want; a seeded choice of round(fraction * n) beats is picked. */
static int keep_seeded(beats *b, uint64_t seed, double fraction, int want, char *err, size_t errlen) {
    unsigned char *pick = malloc(b->n ? (size_t)b->n : 1);
    if (!pick) {
        snprintf(err, errlen, "mitdb-aami: out of memory");
        return -1;
    }
    ecg_seeded_pick(seed, b->n, (int)lround(fraction * b->n), pick);
    for (int i = 0; i < b->n; i++) pick[i] = pick[i] == want;
    beats_compact(b, pick);
    free(pick);
    return 0;
}

/* Drops from recs[0 .. *n) the records the task does not read: in the sample, those absent; for
 * a task whose second lead is named, those whose header lacks it (a header is a few hundred
 * bytes, so this costs nothing beside reading the signals). */
static int keep_records(const char *dir, int sample, const lead_set *ls, int *recs, int *n, char *err,
                        size_t errlen) {
    int kept = 0;
    for (int i = 0; i < *n; i++) {
        char hea[1200];
        snprintf(hea, sizeof hea, "%s/%d.hea", dir, recs[i]);
        if (sample && access(hea, F_OK) != 0) continue;
        if (ls->n_leads > 1 && ls->second) {
            ecg_wfdb_header h;
            memset(&h, 0, sizeof h);
            if (ecg_wfdb_read_header(hea, &h, err, errlen)) return -1;
            int has = find_lead(&h, ls->second) >= 0;
            ecg_wfdb_header_free(&h);
            if (!has) continue;
        }
        recs[kept++] = recs[i];
    }
    *n = kept;
    return 0;
}

/* intra_val: for mitdb-aami-intra's train (2) and val (1), the part of intra-train they keep.
 * The validation records are drawn from all of DS1 whatever the lead set, so every task of the
 * family validates on the same records (less those a task drops). */
static int load_beats(const char *data_dir, const char *split, int intra_val, uint64_t seed, const lead_set *ls,
                      ecg_dataset *d, char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    int which = -1, cv_val, fold = ecg_cv_split(split, &cv_val);
    for (int i = 0; i < N_SPLITS && split; i++)
        if (!strcmp(split, split_names[i])) which = i;
    if (which < 0 && !(fold >= 1 && fold <= ECG_MITDB_CV_FOLDS)) {
        snprintf(err, errlen, "%s: unknown split '%s' (known: ds1, ds2, train, val, test, intra-train, "
                 "intra-test, cvK-train, cvK-val for K = 1..%d)", ls->task, split ? split : "(null)",
                 ECG_MITDB_CV_FOLDS);
        return -1;
    }
    const char *s = fold ? split : split_names[which];
    /* a cross-validation fold is a train / val split whose validation records are the fold's */
    int is_train = !strcmp(s, "train") || (fold && !cv_val), is_val = !strcmp(s, "val") || (fold && cv_val);
    const int *ds1, *ds2;
    int n1 = ecg_mitdb_record_set("ds1", &ds1), n2 = ecg_mitdb_record_set("ds2", &ds2);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/mitdb", data_dir ? data_dir : ".");
    /* A folder marked SAMPLE (the bundled datasets/sample) holds a few trimmed records: the splits
     * use the records present and say so in data_version; a full folder must hold them all. */
    char marker[1200];
    snprintf(marker, sizeof marker, "%s/SAMPLE", dir);
    int sample = access(marker, F_OK) == 0;
    unsigned char val[32] = {0};
    if (fold) {
        const int *f;
        int nf = ecg_mitdb_cv_fold(fold, &f);
        for (int i = 0; i < n1; i++)
            for (int j = 0; j < nf; j++) val[i] |= ds1[i] == f[j];
    } else if (sample) { /* validation = the last DS1 record present, train = the others */
        int last = -1;
        for (int i = 0; i < n1; i++) {
            char hea[1200];
            snprintf(hea, sizeof hea, "%s/%d.hea", dir, ds1[i]);
            if (access(hea, F_OK) == 0) last = i;
        }
        if (last >= 0) val[last] = 1;
    } else if ((is_train || is_val) && choose_val(dir, seed, ds1, n1, val, err, errlen)) {
        return -1;
    }

    /* Records to read, in a fixed order (DS1 then DS2, each ascending). */
    int recs[64], n_recs = 0;
    int use_ds1 = !strcmp(s, "ds1") || is_train || is_val || !strncmp(s, "intra", 5);
    int use_ds2 = !strcmp(s, "ds2") || !strcmp(s, "test") || !strncmp(s, "intra", 5);
    for (int i = 0; use_ds1 && i < n1; i++)
        if (!(is_train && val[i]) && !(is_val && !val[i])) recs[n_recs++] = ds1[i];
    for (int i = 0; use_ds2 && i < n2; i++) recs[n_recs++] = ds2[i];
    if (keep_records(dir, sample, ls, recs, &n_recs, err, errlen)) return -1;
    if (fold && !n_recs) { /* the sample, or a task that drops every record of the fold */
        snprintf(err, errlen, "%s: split %s: none of its records is in %s%s", ls->task, s, dir,
                 sample ? " (a sample: it holds only a few of DS1's records)" : "");
        return -1;
    }

    beats b = {0};
    b.c = channels_of(ls);
    for (int i = 0; i < n_recs; i++)
        if (load_record(dir, recs[i], ls, &b, err, errlen)) {
            beats_free(&b);
            return -1;
        }
    /* seeded 80/20 beat split over DS1 + DS2, and for mitdb-aami-intra 10% of the 80 for val */
    if (!strncmp(s, "intra", 5) &&
        (keep_seeded(&b, seed ^ INTRA_SEED_SALT, INTRA_TEST_FRACTION, !strcmp(s, "intra-test"), err, errlen) ||
         (intra_val && keep_seeded(&b, seed ^ INTRA_VAL_SALT, INTRA_VAL_FRACTION, intra_val == 1, err, errlen)))) {
        beats_free(&b);
        return -1;
    }

    snprintf(d->task, sizeof d->task, "%s", ls->task);
    snprintf(d->split, sizeof d->split, "%s", s);
    d->n = b.n;
    d->length = WIN_LEN;
    d->channels = channels_of(ls);
    d->x = b.x;
    d->y = b.y;
    d->n_classes = ECG_AAMI_N_CLASSES;
    d->class_names = ecg_aami_class_names;
    d->n_features = N_FEATURES;
    d->features = b.f;
    d->feature_names = ecg_mitdb_feature_names;
    d->record = b.rec;
    uint64_t hash;
    if (sample)
        snprintf(d->data_version, sizeof d->data_version,
                 "SAMPLE, not for reporting: mitdb subset (%d records%s, trimmed; see its README) at %s", n_recs,
                 ls->version, dir);
    else if (sums_hash(dir, &hash) == 0)
        snprintf(d->data_version, sizeof d->data_version, "mitdb (%d records%s; SHA256SUMS fnv1a64 %016llx) at %s",
                 n_recs, ls->version, (unsigned long long)hash, dir);
    else
        snprintf(d->data_version, sizeof d->data_version, "mitdb (%d records%s; no SHA256SUMS) at %s", n_recs,
                 ls->version, dir);
    return 0;
}

int ecg_task_mitdb_aami_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d, char *err,
                             size_t errlen) {
    return load_beats(data_dir, split, 0, seed, &leads_mlii, d, err, errlen);
}

int ecg_task_mitdb_2lead_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d, char *err,
                              size_t errlen) {
    return load_beats(data_dir, split, 0, seed, &leads_mlii_other, d, err, errlen);
}

int ecg_task_mitdb_2lead_v1_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d,
                                 char *err, size_t errlen) {
    return load_beats(data_dir, split, 0, seed, &leads_mlii_v1, d, err, errlen);
}

int ecg_task_mitdb_template_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d,
                                 char *err, size_t errlen) {
    return load_beats(data_dir, split, 0, seed, &leads_mlii_template, d, err, errlen);
}

int ecg_task_mitdb_2lead_template_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d,
                                       char *err, size_t errlen) {
    return load_beats(data_dir, split, 0, seed, &leads_mlii_other_template, d, err, errlen);
}

/* mitdb-aami-intra: the intra-patient split as a task of its own (train, val, test), so training,
 * evaluation and reports treat it like any task: train = intra-train less a seeded 10% (val),
 * test = intra-test. Beats of one patient fall on both sides; this is the optimistic protocol
 * many papers report, shown beside the inter-patient one, never instead of it. */
int ecg_task_mitdb_intra_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d, char *err,
                              size_t errlen) {
    int which = !split ? -1 : !strcmp(split, "train") ? 2 : !strcmp(split, "val") ? 1 : !strcmp(split, "test") ? 0 : -1;
    if (which < 0) {
        memset(d, 0, sizeof *d);
        snprintf(err, errlen, "mitdb-aami-intra: unknown split '%s' (known: train, val, test)", split ? split : "(null)");
        return -1;
    }
    if (load_beats(data_dir, which ? "intra-train" : "intra-test", which, seed, &leads_mlii, d, err, errlen))
        return -1;
    snprintf(d->task, sizeof d->task, "mitdb-aami-intra");
    snprintf(d->split, sizeof d->split, "%s", split);
    return 0;
}

/* AAMI classes, de Chazal's record sets, the seeded choice and the RR features, checked against
 * hand tables (de Chazal et al. 2004, Tables I and II) and hand-worked RR values. No data needed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "harness.h"

/* ---------------------------------------------------------------- AAMI map */

static void test_aami_symbols(void) {
    /* de Chazal 2004 Table I, written out by hand. */
    static const struct {
        const char *sym;
        int cls;
    } table[] = {
        {"N", ECG_AAMI_N}, {"L", ECG_AAMI_N}, {"R", ECG_AAMI_N}, {"e", ECG_AAMI_N}, {"j", ECG_AAMI_N},
        {"A", ECG_AAMI_S}, {"a", ECG_AAMI_S}, {"J", ECG_AAMI_S}, {"S", ECG_AAMI_S}, {"V", ECG_AAMI_V},
        {"E", ECG_AAMI_V}, {"F", ECG_AAMI_F}, {"/", ECG_AAMI_Q}, {"f", ECG_AAMI_Q}, {"Q", ECG_AAMI_Q},
        /* not beats of the task: rhythm, noise, artifact, flutter waves, non-conducted P, comments */
        {"+", -1}, {"~", -1}, {"|", -1}, {"!", -1}, {"[", -1}, {"]", -1}, {"x", -1}, {"\"", -1},
        {"p", -1}, {"t", -1}, {"u", -1}, {"^", -1}, {"=", -1}, {"s", -1}, {"T", -1}, {"*", -1},
        {"D", -1}, {"@", -1}, {"(", -1}, {")", -1}, {"?", -1}, {"", -1}, {"NN", -1}, {"n", -1},
        {"B", -1}, {"r", -1},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        CHECK(ecg_aami_class_of_symbol(table[i].sym) == table[i].cls, "symbol '%s': class %d, want %d",
              table[i].sym, ecg_aami_class_of_symbol(table[i].sym), table[i].cls);
    CHECK(ecg_aami_class_of_symbol(NULL) == -1, "NULL symbol");
    const char *names[] = {"N", "S", "V", "F", "Q"};
    for (int c = 0; c < ECG_AAMI_N_CLASSES; c++)
        CHECK(!strcmp(ecg_aami_class_names[c], names[c]), "class %d name '%s'", c, ecg_aami_class_names[c]);
}

static void test_aami_codes(void) {
    /* WFDB ecgcodes.h: NORMAL 1, LBBB 2, RBBB 3, ABERR 4, PVC 5, FUSION 6, NPC 7, APC 8, SVPB 9,
     * VESC 10, NESC 11, PACE 12, UNKNOWN 13, NOISE 14, ARFCT 16, RHYTHM 28, AESC 34, NAPC 37, PFUS 38. */
    static const int code[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 28, 34, 37, 38};
    static const int want[] = {ECG_AAMI_N, ECG_AAMI_N, ECG_AAMI_N, ECG_AAMI_S, ECG_AAMI_V, ECG_AAMI_F, ECG_AAMI_S,
                               ECG_AAMI_S, ECG_AAMI_S, ECG_AAMI_V, ECG_AAMI_N, ECG_AAMI_Q, ECG_AAMI_Q, -1,
                               -1,         -1,         ECG_AAMI_N, -1,         ECG_AAMI_Q};
    for (size_t i = 0; i < sizeof code / sizeof code[0]; i++)
        CHECK(ecg_aami_class_of_code(code[i]) == want[i], "code %d: class %d, want %d", code[i],
              ecg_aami_class_of_code(code[i]), want[i]);
}

/* ---------------------------------------------------------------- record sets */

static int in_list(int r, const int *l, int n) {
    for (int i = 0; i < n; i++)
        if (l[i] == r) return 1;
    return 0;
}

static void test_record_sets(void) {
    const int *ds1, *ds2, *paced, *dummy;
    int n1 = ecg_mitdb_record_set("ds1", &ds1), n2 = ecg_mitdb_record_set("ds2", &ds2);
    int np = ecg_mitdb_record_set("paced", &paced);
    CHECK(n1 == 22 && n2 == 22 && np == 4, "sizes %d %d %d, want 22 22 4", n1, n2, np);
    CHECK(ecg_mitdb_record_set("ds3", &dummy) == -1 && ecg_mitdb_record_set(NULL, &dummy) == -1, "unknown set");
    if (n1 != 22 || n2 != 22 || np != 4) return;
    /* The 48 MIT-BIH records are 100-124 (without 110, 120) and 200-234 (without 204, 206, 211, 216,
     * 218, 224-227, 229): every one is in exactly one of the three sets. */
    static const int all[48] = {100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 111, 112, 113, 114, 115, 116,
                                117, 118, 119, 121, 122, 123, 124, 200, 201, 202, 203, 205, 207, 208, 209, 210,
                                212, 213, 214, 215, 217, 219, 220, 221, 222, 223, 228, 230, 231, 232, 233, 234};
    for (int i = 0; i < 48; i++) {
        int k = in_list(all[i], ds1, n1) + in_list(all[i], ds2, n2) + in_list(all[i], paced, np);
        CHECK(k == 1, "record %d is in %d sets", all[i], k);
    }
    static const int want_paced[4] = {102, 104, 107, 217};
    for (int i = 0; i < 4; i++) CHECK(paced[i] == want_paced[i], "paced[%d] = %d", i, paced[i]);
    static const int want1[22] = {101, 106, 108, 109, 112, 114, 115, 116, 118, 119, 122,
                                  124, 201, 203, 205, 207, 208, 209, 215, 220, 223, 230};
    for (int i = 0; i < 22; i++) CHECK(ds1[i] == want1[i], "ds1[%d] = %d, want %d", i, ds1[i], want1[i]);
}

static void test_published_counts(void) {
    /* de Chazal 2004 Table II: DS1 51,021 beats, DS2 49,712. */
    const int *c1 = ecg_dechazal_counts("ds1"), *c2 = ecg_dechazal_counts("ds2");
    CHECK(c1 && c2 && !ecg_dechazal_counts("val"), "sets");
    if (!c1 || !c2) return;
    int s1 = 0, s2 = 0;
    for (int c = 0; c < ECG_AAMI_N_CLASSES; c++) s1 += c1[c], s2 += c2[c];
    CHECK(s1 == 51021 && s2 == 49712, "totals %d %d", s1, s2);
    CHECK(c1[ECG_AAMI_V] == 3788 && c2[ECG_AAMI_S] == 1837, "V1 %d S2 %d", c1[ECG_AAMI_V], c2[ECG_AAMI_S]);
}

/* ---------------------------------------------------------------- seeded choice */

static void test_seeded_pick(void) {
    enum { N = 1000, K = 200 };
    unsigned char a[N], b[N], c[N];
    ecg_seeded_pick(42, N, K, a);
    ecg_seeded_pick(42, N, K, b);
    ecg_seeded_pick(43, N, K, c);
    int na = 0, same = 0;
    for (int i = 0; i < N; i++) na += a[i], same += a[i] && c[i];
    CHECK(na == K, "picked %d, want %d", na, K);
    CHECK(!memcmp(a, b, N), "same seed, different choice");
    CHECK(memcmp(a, c, N) != 0, "seeds 42 and 43 made the same choice");
    /* Independent draws overlap in about K*K/N = 40 items; a shared bug would show far more. */
    CHECK(same > 10 && same < 80, "overlap of two seeds' choices %d, expected near 40", same);
    unsigned char all[5], none[5];
    ecg_seeded_pick(7, 5, 5, all);
    ecg_seeded_pick(7, 5, 0, none);
    for (int i = 0; i < 5; i++) CHECK(all[i] == 1 && none[i] == 0, "k = n / k = 0 at %d", i);
    /* 4 validation records of DS1's 22: every record is chosen by some seed (no fixed bias). */
    int hits[22] = {0};
    for (uint64_t s = 0; s < 200; s++) {
        unsigned char v[22];
        ecg_seeded_pick(s, 22, 4, v);
        for (int i = 0; i < 22; i++) hits[i] += v[i];
    }
    for (int i = 0; i < 22; i++) CHECK(hits[i] > 10, "record slot %d chosen %d times in 200 seeds", i, hits[i]);
}

/* ---------------------------------------------------------------- RR features */

static void check_rr(const float *o, int beat, double pre, double post, double local, double mean) {
    const float *f = o + (size_t)beat * ECG_RR_N_FEATURES;
    const double want[ECG_RR_N_FEATURES] = {pre, post, local, pre / mean, post / mean, local / mean,
                                            pre / local, post / local};
    for (int k = 0; k < ECG_RR_N_FEATURES; k++)
        CHECK(fabs(f[k] - want[k]) < 1e-5, "beat %d %s = %.6f, want %.6f", beat, ecg_rr_feature_names[k], f[k],
              want[k]);
}

static void test_rr_short(void) {
    /* Intervals 1, 1, 0.5, 1, 1: record mean 4.5 / 5 = 0.9, and every window holds all five. */
    const double t[6] = {0, 1, 2, 2.5, 3.5, 4.5};
    float o[6 * ECG_RR_N_FEATURES];
    char err[256];
    CHECK(ecg_rr_features(t, 6, "hand", o, err, sizeof err) == 0, "%s", err);
    check_rr(o, 0, 1.0, 1.0, 0.9, 0.9);   /* first beat: pre copied from post */
    check_rr(o, 2, 1.0, 0.5, 0.9, 0.9);
    check_rr(o, 3, 0.5, 1.0, 0.9, 0.9);
    check_rr(o, 5, 1.0, 1.0, 0.9, 0.9);   /* last beat: post copied from pre */
    /* pre / local of the premature beat 3 is 0.5 / 0.9 = 0.5556 */
    CHECK(fabs(o[3 * ECG_RR_N_FEATURES + ECG_RR_PRE_LOCAL] - 0.5555556) < 1e-5, "prematurity");
}

static void test_rr_window(void) {
    /* 12 beats, 11 intervals, all 1 s but interval 5 (beat 5 -> 6) of 2 s; record mean 12 / 11.
     * Beat i's window is intervals i-5 .. i+4 clipped to 0 .. 10. */
    const double t[12] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12};
    float o[12 * ECG_RR_N_FEATURES];
    char err[256];
    const double mean = 12.0 / 11.0;
    CHECK(ecg_rr_features(t, 12, "hand", o, err, sizeof err) == 0, "%s", err);
    check_rr(o, 0, 1, 1, 1.0, mean);           /* intervals 0..4 */
    check_rr(o, 1, 1, 1, 7.0 / 6.0, mean);     /* 0..5: five 1s and the 2 */
    check_rr(o, 5, 1, 2, 1.1, mean);           /* 0..9: 11 / 10 */
    check_rr(o, 6, 2, 1, 1.1, mean);           /* 1..10: 11 / 10 */
    check_rr(o, 10, 1, 1, 7.0 / 6.0, mean);    /* 5..10 */
    check_rr(o, 11, 1, 1, 1.0, mean);          /* 6..10 */
}

static void test_rr_errors(void) {
    float o[4 * ECG_RR_N_FEATURES];
    char err[256] = "";
    const double dup[3] = {0, 1, 1}, one[1] = {0}, bad[3] = {0, NAN, 2};
    CHECK(ecg_rr_features(dup, 3, "rec 999", o, err, sizeof err) == -1, "repeated time accepted");
    CHECK(strstr(err, "rec 999") && strstr(err, "beat 2"), "message names the source and beat: %s", err);
    CHECK(ecg_rr_features(one, 1, "rec 1", o, err, sizeof err) == -1, "one beat accepted");
    CHECK(ecg_rr_features(bad, 3, "rec nan", o, err, sizeof err) == -1 && strstr(err, "beat 1"), "NaN: %s", err);
}

/* Irregularity: one premature beat in a steady rhythm leaves it at 0 for every beat (its own
 * intervals are left out of its value, and a median over 10 differences ignores the 2 or 3 it
 * spoils in its neighbours'); alternating 0.6 / 1.0 s intervals give 0.4 / 0.8 = 0.5; windows are
 * clipped at the record's ends. */
static void test_rr_irregularity(void) {
    enum { N = 30 };
    double t[N];
    float rr[N * ECG_RR_N_FEATURES], irr[N];
    char err[256];
    for (int i = 0; i < N; i++) t[i] = 0.8 * i - (i == 15 ? 0.3 : 0);
    CHECK(ecg_rr_features(t, N, "steady", rr, err, sizeof err) == 0, "%s", err);
    ecg_rr_irregularity(t, N, rr, irr);
    for (int i = 0; i < N; i++) CHECK(fabsf(irr[i]) < 1e-6f, "steady rhythm, one premature beat: beat %d %g", i, irr[i]);
    for (int i = 1; i < N; i++) t[i] = t[i - 1] + (i % 2 ? 0.6 : 1.0);
    CHECK(ecg_rr_features(t, N, "alternating", rr, err, sizeof err) == 0, "%s", err);
    ecg_rr_irregularity(t, N, rr, irr);
    for (int i = 8; i < N - 8; i++) CHECK(fabsf(irr[i] - 0.5f) < 1e-5f, "alternating: beat %d %g, want 0.5", i, irr[i]);
    /* 4 beats, intervals 1, 1, 1.5: beat 0 sees one difference after its post interval, |1.5 - 1|,
     * over its local RR 3.5 / 3; beat 3 one before its pre interval, |1 - 1|; two beats none */
    const double four[4] = {0, 1, 2, 3.5}, two[2] = {0, 1};
    CHECK(ecg_rr_features(four, 4, "four", rr, err, sizeof err) == 0, "%s", err);
    ecg_rr_irregularity(four, 4, rr, irr);
    CHECK(fabsf(irr[0] - 0.5f / (3.5f / 3)) < 1e-5f && irr[3] == 0, "four beats: %g %g", irr[0], irr[3]);
    CHECK(ecg_rr_features(two, 2, "two", rr, err, sizeof err) == 0, "%s", err);
    ecg_rr_irregularity(two, 2, rr, irr);
    CHECK(irr[0] == 0 && irr[1] == 0, "two beats: %g %g", irr[0], irr[1]);
}

int main(void) {
    RUN(test_aami_symbols);
    RUN(test_aami_codes);
    RUN(test_record_sets);
    RUN(test_published_counts);
    RUN(test_seeded_pick);
    RUN(test_rr_short);
    RUN(test_rr_window);
    RUN(test_rr_errors);
    RUN(test_rr_irregularity);
    return test_done();
}

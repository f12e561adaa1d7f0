/* mitdb-aami-2lead and mitdb-aami-2lead-v1: channel 0 is mitdb-aami's MLII window bit for bit,
 * channel 1 the record's other lead (checked against the raw .dat through the WFDB reader, the
 * lead found here by its header name), record 114 (V5 stored first) read by name, -v1 dropping
 * exactly the records without V1, a missing lead named in the error, and the cache keeping the
 * tasks apart. Tests on the full data skip, naming the file missing, when it is not here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "datasets/datasets.h"
#include "harness.h"

#define SAMPLE "datasets/sample"

static int load(const char *task, const char *dir, const char *split, ecg_dataset *d) {
    char err[1024] = "";
    int rc = ecg_task_load(task, split, dir, 1, d, err, sizeof err);
    CHECK(rc == 0, "%s/%s from %s: %s", task, split, dir, err);
    return rc;
}

/* The band-passed signal named `lead` of record `rec` under dir/mitdb and the record's AAMI beat
 * positions, read here from the raw files (*sig, *at: free them); the signal's index in the
 * header goes to *index. 0 on success. */
static int raw_lead(const char *dir, int rec, const char *lead, float **sig, long **at, int *n_beats, int *index) {
    char mdir[1100], name[16], err[1024] = "", ann_path[1200];
    snprintf(mdir, sizeof mdir, "%s/mitdb", dir);
    snprintf(name, sizeof name, "%d", rec);
    snprintf(ann_path, sizeof ann_path, "%s/%d.atr", mdir, rec);
    ecg_wfdb_header h;
    memset(&h, 0, sizeof h);
    int32_t *adc = NULL;
    ecg_wfdb_ann *ann = NULL;
    int n_ann = 0, rc = -1;
    *sig = NULL, *at = NULL, *index = -1;
    int *cls = NULL;
    if (ecg_wfdb_read_record(mdir, name, &h, &adc, NULL, err, sizeof err) ||
        ecg_wfdb_read_annotations(ann_path, &ann, &n_ann, err, sizeof err)) {
        CHECK(0, "record %d: %s", rec, err);
        goto out;
    }
    for (int s = 0; s < h.n_sig; s++)
        if (!strcmp(h.sig[s].description, lead)) *index = s;
    CHECK(*index >= 0, "record %d has no %s", rec, lead);
    *at = malloc((size_t)n_ann * sizeof **at);
    cls = malloc((size_t)n_ann * sizeof *cls);
    if (*index < 0 || !*at || !cls) goto out;
    *n_beats = ecg_mitdb_aami_beats(ann_path, ann, n_ann, h.n_samples, *at, cls, err, sizeof err);
    *sig = ecg_mitdb_lead_mv(&h, adc, *index, name, err, sizeof err);
    CHECK(*n_beats > 0 && *sig, "record %d: %s", rec, err);
    rc = *n_beats > 0 && *sig ? 0 : -1;
    for (int i = 0; i < *n_beats && rc == 0; i++) /* the windows below index sig without clamping */
        if ((*at)[i] < 90 || (*at)[i] + 162 > h.n_samples) (*at)[i] = -1;
out:
    free(cls);
    free(ann);
    free(adc);
    ecg_wfdb_header_free(&h);
    return rc;
}

/* Beats of record `rec` in d (a 2-lead dataset holding it) against the raw signals: channel `ch`
 * equals lead `lead` windowed 90 before / 162 after each beat. Beats whose window runs past an
 * end (edge padded) are left out. Returns the beats compared. */
static int check_channel(const ecg_dataset *d, const char *dir, int rec, int ch, const char *lead, int *index) {
    float *sig;
    long *at;
    int n_beats = 0, compared = 0, bad = 0;
    if (raw_lead(dir, rec, lead, &sig, &at, &n_beats, index)) return 0;
    int k = 0;
    for (int i = 0; i < d->n; i++) {
        if (d->record[i] != rec) continue;
        if (k < n_beats && at[k] >= 0) {
            for (int j = 0; j < d->length; j++)
                bad += d->x[((size_t)i * d->length + j) * 2 + ch] != sig[at[k] - 90 + j];
            compared++;
        }
        k++;
    }
    CHECK(k == n_beats, "record %d: %d beats in the dataset, %d annotated", rec, k, n_beats);
    CHECK(bad == 0 && compared > 0, "record %d channel %d (%s): %d samples differ over %d beats", rec, ch, lead, bad,
          compared);
    free(sig);
    free(at);
    return compared;
}

/* ---------------------------------------------------------------- no data beyond the sample */

static void test_registry(void) {
    const ecg_task *a = ecg_task_find("mitdb-aami"), *b = ecg_task_find("mitdb-aami-2lead"),
                   *c = ecg_task_find("mitdb-aami-2lead-v1");
    CHECK(a && b && c, "tasks registered");
    if (!a || !b || !c) return;
    CHECK(a->channels == 1 && b->channels == 2 && c->channels == 2, "channels %d %d %d", a->channels, b->channels,
          c->channels);
    CHECK(b->length == a->length && b->n_features == a->n_features && b->n_splits == a->n_splits, "same shape");
    /* the settings are part of the cache key: all three must differ */
    CHECK(strcmp(a->settings, b->settings) && strcmp(b->settings, c->settings), "settings strings differ");
    const char *dropped[] = {"100", "103", "114", "117", "123", "124"};
    for (int i = 0; i < 6; i++) CHECK(strstr(c->description, dropped[i]), "-v1 description names %s", dropped[i]);
}

/* Same beats, labels, records and features as mitdb-aami; channel 0 its window exactly; channel 1
 * the other lead from the raw file (V5 in 100, V1 in 119 and 208, all signal 1 there). */
static void test_sample_two_leads(void) {
    if (!test_need_file(SAMPLE "/mitdb/SAMPLE")) return;
    static const char *const splits[] = {"ds1", "ds2"};
    for (int s = 0; s < 2; s++) {
        ecg_dataset one, two;
        if (load("mitdb-aami", SAMPLE, splits[s], &one)) return;
        if (load("mitdb-aami-2lead", SAMPLE, splits[s], &two)) {
            ecg_dataset_free(&one);
            return;
        }
        CHECK(two.channels == 2 && two.length == 252 && two.n == one.n && two.n > 0, "%s: [%d, %d, %d] vs %d beats",
              splits[s], two.n, two.length, two.channels, one.n);
        CHECK(!strcmp(two.task, "mitdb-aami-2lead"), "task named %s", two.task);
        int same = two.n == one.n, ch0_bad = 0, ch_differ = 0;
        for (int i = 0; same && i < one.n; i++) {
            same = one.y[i] == two.y[i] && one.record[i] == two.record[i] &&
                   !memcmp(one.features + (size_t)i * one.n_features, two.features + (size_t)i * two.n_features,
                           (size_t)one.n_features * sizeof *one.features);
            for (int j = 0; j < 252; j++) {
                float x1 = one.x[(size_t)i * 252 + j], x0 = two.x[((size_t)i * 252 + j) * 2];
                ch0_bad += memcmp(&x1, &x0, sizeof x1) != 0;
                ch_differ += x0 != two.x[((size_t)i * 252 + j) * 2 + 1];
            }
        }
        CHECK(same, "%s: labels, records or features differ from mitdb-aami", splits[s]);
        CHECK(ch0_bad == 0, "%s: %d channel-0 samples differ from mitdb-aami's window", splits[s], ch0_bad);
        CHECK(ch_differ > one.n * 200, "%s: channel 1 copies channel 0 (%d samples differ)", splits[s], ch_differ);
        int recs[3] = {100, 119, 208}, idx = -1;
        const char *lead[3] = {"V5", "V1", "V1"};
        for (int r = 0; r < 3; r++) {
            int holds = 0;
            for (int i = 0; i < two.n; i++) holds |= two.record[i] == recs[r];
            if (holds) check_channel(&two, SAMPLE, recs[r], 1, lead[r], &idx);
        }
        ecg_dataset_free(&one);
        ecg_dataset_free(&two);
    }
}

/* -v1 on the sample drops 100 (V5), the only DS2 record there; keeps 119 and 208 as 2lead has them. */
static void test_sample_v1(void) {
    if (!test_need_file(SAMPLE "/mitdb/SAMPLE")) return;
    ecg_dataset v1, two, test;
    if (load("mitdb-aami-2lead-v1", SAMPLE, "ds1", &v1)) return;
    if (load("mitdb-aami-2lead", SAMPLE, "ds1", &two)) {
        ecg_dataset_free(&v1);
        return;
    }
    size_t ex = (size_t)two.length * 2;
    CHECK(v1.n == two.n && v1.n > 0 && !memcmp(v1.x, two.x, (size_t)v1.n * ex * sizeof *v1.x),
          "ds1 (119, 208: both V1) differs from mitdb-aami-2lead's");
    if (load("mitdb-aami-2lead-v1", SAMPLE, "test", &test) == 0) {
        CHECK(test.n == 0 && test.channels == 2, "test split holds %d beats (record 100 has V5, not V1)", test.n);
        ecg_dataset_free(&test);
    }
    ecg_dataset_free(&v1);
    ecg_dataset_free(&two);
}

/* A folder dir/mitdb marked SAMPLE (so the loader reads the records present) holding record `rec`
 * of src/mitdb: its .dat and .atr linked, and its .hea linked too, or, when `from` is given,
 * copied with the first `from` replaced by `to` (a renamed signal). 0 on success. */
static int one_record_folder(const char *dir, const char *src, int rec, const char *from, const char *to) {
    char path[1200], abs[1200], cwd[1024];
    if (!getcwd(cwd, sizeof cwd)) return -1;
    snprintf(abs, sizeof abs, "%s%s%s/mitdb", src[0] == '/' ? "" : cwd, src[0] == '/' ? "" : "/", src);
    snprintf(path, sizeof path, "%s/mitdb", dir);
    if (mkdir(path, 0755) && access(path, F_OK)) return -1;
    static const char *const ext[3] = {"dat", "atr", "hea"};
    for (int e = 0; e < 3; e++) {
        char target[1300];
        snprintf(target, sizeof target, "%s/%d.%s", abs, rec, ext[e]);
        snprintf(path, sizeof path, "%s/mitdb/%d.%s", dir, rec, ext[e]);
        unlink(path);
        if ((e < 2 || !from) && symlink(target, path)) return -1;
    }
    snprintf(path, sizeof path, "%s/mitdb/SAMPLE", dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fclose(f);
    if (!from) return 0;
    snprintf(path, sizeof path, "%s/%d.hea", abs, rec);
    char *hea = test_read_file(path);
    char *at = hea ? strstr(hea, from) : NULL;
    snprintf(path, sizeof path, "%s/mitdb/%d.hea", dir, rec);
    f = at ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f, "%.*s%s%s", (int)(at - hea), hea, to, at + strlen(from));
        fclose(f);
    }
    free(hea);
    return f ? 0 : -1;
}

static void remove_folder(const char *dir) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "cleanup %s", dir);
}

/* A record without MLII is an error naming the record and the lead; -v1 drops a record without
 * V1; mitdb-aami-2lead takes any second lead, whatever its name. */
static void test_missing_lead(void) {
    if (!test_need_file(SAMPLE "/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_2lead_XXXXXX", err[1024] = "";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    ecg_dataset d;
    CHECK(one_record_folder(dir, SAMPLE, 119, "MLII", "ML2") == 0, "fixture");
    CHECK(ecg_task_load("mitdb-aami-2lead", "ds1", dir, 1, &d, err, sizeof err) == -1, "no MLII accepted");
    CHECK(strstr(err, "119.hea") && strstr(err, "no MLII") && strstr(err, "mitdb-aami-2lead"), "message: %s", err);
    CHECK(one_record_folder(dir, SAMPLE, 119, " V1", " V3") == 0, "fixture");
    CHECK(ecg_task_load("mitdb-aami-2lead-v1", "ds1", dir, 1, &d, err, sizeof err) == 0 && d.n == 0,
          "a record without V1 kept by -v1 (%d beats): %s", d.n, err);
    ecg_dataset_free(&d);
    CHECK(ecg_task_load("mitdb-aami-2lead", "ds1", dir, 1, &d, err, sizeof err) == 0 && d.n == 326,
          "V3 as the second lead: %d beats: %s", d.n, err);
    ecg_dataset_free(&d);
    remove_folder(dir);
}

/* Through the cache, the three tasks' test splits come back as themselves (a shared key would
 * hand -v1 2lead's 371 beats, or mitdb-aami 2 channels). */
static void test_cache_keys(void) {
    if (!test_need_file(SAMPLE "/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_2lead_cache_XXXXXX", err[1024] = "";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    static const char *const tasks[] = {"mitdb-aami-2lead", "mitdb-aami-2lead-v1", "mitdb-aami"};
    static const int n[] = {371, 0, 371}, ch[] = {2, 2, 1};
    for (int pass = 0; pass < 2; pass++)   /* the second pass reads the cache */
        for (int t = 0; t < 3; t++) {
            ecg_dataset d;
            int hit = -1;
            CHECK(ecg_task_load_cached(tasks[t], "test", SAMPLE, 1, dir, &d, &hit, err, sizeof err) == 0, "%s", err);
            CHECK(d.n == n[t] && d.channels == ch[t] && hit == pass, "pass %d %s: %d beats x %d channels, hit %d",
                  pass, tasks[t], d.n, d.channels, hit);
            ecg_dataset_free(&d);
        }
    remove_folder(dir);
}

/* ---------------------------------------------------------------- full data */

/* Record 114 stores V5 first and MLII second: channel 0 must be signal 1 (MLII), channel 1
 * signal 0 (V5). Read from a folder holding only 114 (marked SAMPLE, so the loader takes the
 * records present), so the test reads one record, not 22. */
static void test_114_by_name(void) {
    char full[1024];
    if (!test_data_dir("mitdb/114.hea mitdb/114.dat mitdb/114.atr", full, sizeof full)) return;
    char dir[] = "/tmp/ecgbench_114_XXXXXX", err[1024] = "";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    CHECK(one_record_folder(dir, full, 114, NULL, NULL) == 0, "fixture");
    ecg_dataset two, one;
    if (load("mitdb-aami-2lead", dir, "ds1", &two) == 0) {
        int idx0 = -1, idx1 = -1;
        int n = check_channel(&two, dir, 114, 0, "MLII", &idx0);
        check_channel(&two, dir, 114, 1, "V5", &idx1);
        CHECK(idx0 == 1 && idx1 == 0, "114's header: MLII is signal %d, V5 signal %d (expected 1 and 0)", idx0, idx1);
        printf("  114: %d of %d beats compared on both channels (MLII = signal %d, V5 = signal %d)\n", n, two.n, idx0,
               idx1);
        if (load("mitdb-aami", dir, "ds1", &one) == 0) {
            int bad = one.n != two.n;
            for (int i = 0; !bad && i < one.n * 252; i++) bad = one.x[i] != two.x[(size_t)i * 2];
            CHECK(!bad, "mitdb-aami's 114 windows differ from channel 0");
            ecg_dataset_free(&one);
        }
        ecg_dataset_free(&two);
    }
    CHECK(ecg_task_load("mitdb-aami-2lead-v1", "ds1", dir, 1, &two, err, sizeof err) == 0 && two.n == 0,
          "-v1 kept 114 (V5 and MLII): %d beats %s", two.n, err);
    ecg_dataset_free(&two);
    remove_folder(dir);
}

/* On the full data: -v1 reads every DS1/DS2 record but 100, 103, 114, 117, 123, 124, and
 * mitdb-aami-2lead all 44 with mitdb-aami's beat counts. The second leads are read from the
 * headers here, and the paced 102 and 104 (no MLII) are in neither set. */
static void test_full_record_sets(void) {
    char probes[4096] = "", full[1024];
    size_t len = 0;
    const int *ds[2];
    int nds[2] = {ecg_mitdb_record_set("ds1", &ds[0]), ecg_mitdb_record_set("ds2", &ds[1])};
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < nds[s]; i++)
            len += (size_t)snprintf(probes + len, sizeof probes - len, "mitdb/%d.hea mitdb/%d.dat mitdb/%d.atr ",
                                    ds[s][i], ds[s][i], ds[s][i]);
    if (!test_data_dir(probes, full, sizeof full)) return;
    static const int non_v1[] = {100, 103, 114, 117, 123, 124};
    static const char *const sets[2] = {"ds1", "ds2"};
    for (int s = 0; s < 2; s++) {
        ecg_dataset v1, two;
        if (load("mitdb-aami-2lead-v1", full, sets[s], &v1)) return;
        if (load("mitdb-aami-2lead", full, sets[s], &two)) {
            ecg_dataset_free(&v1);
            return;
        }
        for (int i = 0; i < nds[s]; i++) {
            int r = ds[s][i], in_v1 = 0, in_two = 0, expect = 1;
            for (int k = 0; k < 6; k++) expect &= r != non_v1[k];
            for (int j = 0; j < v1.n; j++) in_v1 |= v1.record[j] == r;
            for (int j = 0; j < two.n; j++) in_two |= two.record[j] == r;
            CHECK(in_v1 == expect && in_two, "record %d: in -v1 %d (expected %d), in 2lead %d", r, in_v1, expect,
                  in_two);
        }
        int expect_n = s == 0 ? 51021 : 49712;   /* mitdb-aami's (= de Chazal's) counts */
        CHECK(two.n == expect_n, "%s: 2lead %d beats, mitdb-aami %d", sets[s], two.n, expect_n);
        printf("  %s: mitdb-aami-2lead %d beats, -v1 %d beats\n", sets[s], two.n, v1.n);
        ecg_dataset_free(&v1);
        ecg_dataset_free(&two);
    }
    const int *paced;
    int np = ecg_mitdb_record_set("paced", &paced);
    for (int i = 0; i < np; i++) {
        char path[1200], err[512];
        snprintf(path, sizeof path, "%s/mitdb/%d.hea", full, paced[i]);
        ecg_wfdb_header h;
        memset(&h, 0, sizeof h);
        if (ecg_wfdb_read_header(path, &h, err, sizeof err)) continue;
        int mlii = 0;
        for (int k = 0; k < h.n_sig; k++) mlii |= !strcmp(h.sig[k].description, "MLII");
        if (paced[i] == 102 || paced[i] == 104) CHECK(!mlii, "%d has MLII", paced[i]);
        for (int s = 0; s < 2; s++)
            for (int k = 0; k < nds[s]; k++) CHECK(ds[s][k] != paced[i], "paced %d in %s", paced[i], sets[s]);
        ecg_wfdb_header_free(&h);
    }
}

int main(void) {
    RUN(test_registry);
    RUN(test_sample_two_leads);
    RUN(test_sample_v1);
    RUN(test_missing_lead);
    RUN(test_cache_keys);
    RUN(test_114_by_name);
    RUN(test_full_record_sets);
    return test_done();
}

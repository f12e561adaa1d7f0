/* The task registry: names, splits and loaders of every task, and the checked entry point. */
#include <stdio.h>
#include <string.h>

#include "datasets/datasets.h"

static const char *const mitdb_splits[] = {"ds1", "ds2", "train", "val", "test", "intra-train", "intra-test"};
static const char *const intra_splits[] = {"train", "val", "test"};
static const char *const cinc_splits[] = {"train", "val", "test"};
static const char *const synth_splits[] = {"train", "test"};

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const ecg_task tasks[] = {
    {"mitdb-aami",
     "MIT-BIH Arrhythmia beats in the 5 AAMI classes (N, S, V, F, Q), paced records excluded, RR, RR-irregularity, "
     "age/sex and P-wave features; inter-patient (de Chazal DS1/DS2) and intra-patient splits",
     mitdb_splits, N_OF(mitdb_splits), ecg_task_mitdb_aami_load, "mitdb",
     "v4: MLII, zero-phase Butterworth band-pass 0.5-40 Hz, windows 90 before / 162 after the annotated beat at "
     "360 Hz, edge padding, AAMI map of de Chazal 2004, 8 RR, 4 age/sex and 4 P-wave features (fiducials.c on MLII) and the RR irregularity, val = 4 DS1 records drawn "
     "to hold >= 10% of S and V and <= 50% of S, V and F",
     ECG_MITDB_WINDOW, 1, ECG_AAMI_N_CLASSES, ECG_MITDB_N_FEATURES, ecg_mitdb_feature_names, NULL, 0, ECG_MITDB_CV_FOLDS},
    /* The two-lead variants: the same beats, splits, validation records and features as mitdb-aami;
     * their settings name the second lead, and their names differ, so the cache keeps them apart. */
    {"mitdb-aami-2lead",
     "mitdb-aami with two leads: x [252, 2] = MLII and the record's other lead (V1 in 38 of the 44 records; V2 "
     "in 103 and 117, V4 in 124, V5 in 100, 114 and 123), leads picked by header name; all 44 records kept",
     mitdb_splits, N_OF(mitdb_splits), ecg_task_mitdb_2lead_load, "mitdb",
     "v2: as mitdb-aami v4 per lead (channel 0 MLII, channel 1 the record's other signal by header name, each "
     "band-passed on its own), same beats, splits and validation records",
     ECG_MITDB_WINDOW, 2, ECG_AAMI_N_CLASSES, ECG_MITDB_N_FEATURES, ecg_mitdb_feature_names, NULL, 0, ECG_MITDB_CV_FOLDS},
    {"mitdb-aami-2lead-v1",
     "mitdb-aami-2lead restricted to the records whose second lead is V1: drops 100, 103, 117, 123 (DS2) and "
     "114, 124 (DS1), keeping 38 of the 44; validation records drawn as mitdb-aami's, less any dropped one",
     mitdb_splits, N_OF(mitdb_splits), ecg_task_mitdb_2lead_v1_load, "mitdb",
     "v2: as mitdb-aami-2lead v2 with channel 1 = V1 by header name, records without V1 dropped",
     ECG_MITDB_WINDOW, 2, ECG_AAMI_N_CLASSES, ECG_MITDB_N_FEATURES, ecg_mitdb_feature_names, NULL, 0, ECG_MITDB_CV_FOLDS},
    {"mitdb-aami-template",
     "mitdb-aami with each beat set against its patient's usual beat: x [252, 2] = MLII and MLII minus the "
     "record's median MLII beat (per-sample median of all its beats' windows; beat positions only, never labels)",
     mitdb_splits, N_OF(mitdb_splits), ecg_task_mitdb_template_load, "mitdb",
     "v1: as mitdb-aami v4, channel 1 = channel 0 minus the record's per-sample median of channel 0 over all its "
     "AAMI beats; same beats, splits and validation records",
     ECG_MITDB_WINDOW, 2, ECG_AAMI_N_CLASSES, ECG_MITDB_N_FEATURES, ecg_mitdb_feature_names, NULL, 0, ECG_MITDB_CV_FOLDS},
    {"mitdb-aami-2lead-template",
     "mitdb-aami-template with the record's other lead beside MLII: x [252, 3] = MLII, the other lead (as "
     "mitdb-aami-2lead's channel 1) and MLII minus the record's median MLII beat (as mitdb-aami-template's channel 1)",
     mitdb_splits, N_OF(mitdb_splits), ecg_task_mitdb_2lead_template_load, "mitdb",
     "v1: channels 0 and 1 as mitdb-aami-2lead v2, channel 2 as mitdb-aami-template v1's channel 1; same beats, "
     "splits and validation records",
     ECG_MITDB_WINDOW, 3, ECG_AAMI_N_CLASSES, ECG_MITDB_N_FEATURES, ecg_mitdb_feature_names, NULL, 0, ECG_MITDB_CV_FOLDS},
    {"mitdb-aami-intra",
     "MIT-BIH AAMI beats as mitdb-aami, intra-patient: a seeded 80/20 split of all beats (every patient on both "
     "sides; optimistic, reported because many papers do), val = a seeded 10% of the 80",
     intra_splits, N_OF(intra_splits), ecg_task_mitdb_intra_load, "mitdb",
     "v2: as mitdb-aami v4; intra-patient 80/20 beat split over DS1+DS2, val 10% of the train part",
     ECG_MITDB_WINDOW, 1, ECG_AAMI_N_CLASSES, ECG_MITDB_N_FEATURES, ecg_mitdb_feature_names, NULL, 0, 0},
    {"cinc2017",
     "PhysioNet/CinC 2017 single-lead AF challenge (Normal, AF, Other, Noisy), 30 s crops at 300 Hz, "
     "stratified seeded 80/10/10 split by record",
     cinc_splits, N_OF(cinc_splits), ecg_task_cinc2017_load, "cinc2017",
     "v1: REFERENCE.csv v3 labels, z-score per record, 9000-sample centre crop or zero pad at the end, "
     "stratified 80/10/10 by record",
     ECG_CINC_LENGTH, 1, ECG_CINC_N_CLASSES, 0, NULL, "challenge F1", 3, 0},
    {"synthetic",
     "seeded ECG-like beats per AAMI class (252 samples at 360 Hz); for tests only, never for reported results",
     synth_splits, N_OF(synth_splits), ecg_task_synthetic_load, NULL, "v1: generated",
     ECG_SYNTH_LENGTH, 1, ECG_AAMI_N_CLASSES, ECG_SYNTH_N_FEATURES, ecg_synth_feature_names, NULL, 0, 0},
};

const ecg_task *ecg_task_at(int i) { return i >= 0 && i < N_OF(tasks) ? &tasks[i] : NULL; }

const ecg_task *ecg_task_find(const char *name) {
    for (int i = 0; name && i < N_OF(tasks); i++)
        if (!strcmp(tasks[i].name, name)) return &tasks[i];
    return NULL;
}

/* Appends "a, b, c" to buf (already holding a prefix). */
static void append_list(char *buf, size_t n, const char *const *items, int count) {
    for (int i = 0; i < count; i++) {
        size_t used = strlen(buf);
        if (used + 1 >= n) return;
        snprintf(buf + used, n - used, "%s%s", i ? ", " : "", items[i]);
    }
}

/* Rejects what a downstream trainer would index with: labels out of range, missing arrays. */
static int check_dataset(const ecg_task *t, const ecg_dataset *d, char *err, size_t errlen) {
    if (d->n < 0 || d->length <= 0 || d->channels <= 0 || d->n_classes <= 0 || (d->n > 0 && (!d->x || !d->y))) {
        snprintf(err, errlen, "task %s: loader returned an inconsistent dataset (n %d, length %d, channels %d)",
                 t->name, d->n, d->length, d->channels);
        return -1;
    }
    if (d->length != t->length || d->channels != t->channels || d->n_classes != t->n_classes ||
        d->n_features != t->n_features) {
        snprintf(err, errlen, "task %s: loader returned [%d, %d] x %d classes, %d features; the task says [%d, %d] x "
                 "%d classes, %d features", t->name, d->length, d->channels, d->n_classes, d->n_features, t->length,
                 t->channels, t->n_classes, t->n_features);
        return -1;
    }
    for (int i = 0; i < d->n; i++)
        if (d->y[i] < 0 || d->y[i] >= d->n_classes) {
            snprintf(err, errlen, "task %s: example %d has label %d outside [0, %d)", t->name, i, d->y[i],
                     d->n_classes);
            return -1;
        }
    return 0;
}

const ecg_task *ecg_task_lookup(const char *name, char *err, size_t errlen) {
    const ecg_task *t = ecg_task_find(name);
    if (!t) {
        const char *names[N_OF(tasks)];
        for (int i = 0; i < N_OF(tasks); i++) names[i] = tasks[i].name;
        snprintf(err, errlen, "unknown task '%s' (known tasks: ", name ? name : "(null)");
        append_list(err, errlen, names, N_OF(tasks));
        if (strlen(err) + 1 < errlen) strcat(err, ")");
    }
    return t;
}

int ecg_cv_split(const char *split, int *is_val) {
    int fold = 0, n = 0;
    *is_val = 0;
    if (!split || strncmp(split, "cv", 2) || split[2] < '1' || split[2] > '9') return 0;
    for (n = 2; split[n] >= '0' && split[n] <= '9' && fold < 1000; n++) fold = fold * 10 + (split[n] - '0');
    if (!strcmp(split + n, "-val")) *is_val = 1;
    else if (strcmp(split + n, "-train")) return 0;
    return fold;
}

int ecg_task_load(const char *task, const char *split, const char *data_dir, uint64_t seed, ecg_dataset *d,
                  char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    const ecg_task *t = ecg_task_lookup(task, err, errlen);
    if (!t) return -1;
    int found = 0, is_val, fold = ecg_cv_split(split, &is_val);
    for (int i = 0; split && i < t->n_splits; i++) found |= !strcmp(t->splits[i], split);
    if (!found && !(fold >= 1 && fold <= t->cv_folds)) {
        snprintf(err, errlen, "unknown split '%s' of task %s (splits: ", split ? split : "(null)", t->name);
        append_list(err, errlen, t->splits, t->n_splits);
        size_t l = strlen(err);
        if (t->cv_folds) snprintf(err + l, errlen - l, ", and cvK-train, cvK-val for K = 1..%d)", t->cv_folds);
        else if (l + 1 < errlen) strcat(err, ")");
        return -1;
    }
    if (t->load(data_dir, split, seed, d, err, errlen)) {
        ecg_dataset_free(d);
        return -1;
    }
    if (check_dataset(t, d, err, errlen)) {
        ecg_dataset_free(d);
        return -1;
    }
    return 0;
}

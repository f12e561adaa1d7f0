/* AAMI EC57 heartbeat classes and de Chazal's MIT-BIH record sets (de Chazal, O'Dwyer, Reilly,
 * IEEE TBME 51(7), 2004: Table I for the symbol map, the DS1/DS2 lists and Table II's counts). */
#include <string.h>

#include "datasets/datasets.h"

const char *const ecg_aami_class_names[ECG_AAMI_N_CLASSES] = {"N", "S", "V", "F", "Q"};

int ecg_aami_class_of_symbol(const char *symbol) {
    static const struct {
        const char *sym;
        int cls;
    } map[] = {
        {"N", ECG_AAMI_N}, {"L", ECG_AAMI_N}, {"R", ECG_AAMI_N}, {"e", ECG_AAMI_N}, {"j", ECG_AAMI_N},
        {"A", ECG_AAMI_S}, {"a", ECG_AAMI_S}, {"J", ECG_AAMI_S}, {"S", ECG_AAMI_S},
        {"V", ECG_AAMI_V}, {"E", ECG_AAMI_V},
        {"F", ECG_AAMI_F},
        {"/", ECG_AAMI_Q}, {"f", ECG_AAMI_Q}, {"Q", ECG_AAMI_Q},
    };
    if (!symbol) return -1;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(symbol, map[i].sym)) return map[i].cls;
    return -1;
}

int ecg_aami_class_of_code(int code) { return ecg_aami_class_of_symbol(ecg_wfdb_ann_symbol(code)); }

static const int ds1[] = {101, 106, 108, 109, 112, 114, 115, 116, 118, 119, 122,
                          124, 201, 203, 205, 207, 208, 209, 215, 220, 223, 230};
static const int ds2[] = {100, 103, 105, 111, 113, 117, 121, 123, 200, 202, 210,
                          212, 213, 214, 219, 221, 222, 228, 231, 232, 233, 234};
static const int paced[] = {102, 104, 107, 217};

int ecg_mitdb_record_set(const char *name, const int **records) {
    if (!name) return -1;
    if (!strcmp(name, "ds1")) return *records = ds1, (int)(sizeof ds1 / sizeof ds1[0]);
    if (!strcmp(name, "ds2")) return *records = ds2, (int)(sizeof ds2 / sizeof ds2[0]);
    if (!strcmp(name, "paced")) return *records = paced, (int)(sizeof paced / sizeof paced[0]);
    return -1;
}

/* DS1's records in ECG_MITDB_CV_FOLDS fixed folds, declared before any run used them (issue 20's
 * record-wise cross-validation). Each fold holds S and V beats; the two
 * LBBB records (109, 207), the two AF-episode records (201, 203) and the three RBBB records (118,
 * 124, 207) are spread over different folds, so that no fold's training lacks a whole rhythm or
 * conduction pattern; 209 (41% of DS1's S beats) and 208 (90% of its F beats) sit in different
 * folds. Each fold's beats per class: docs/training.md. */
static const int cv_folds[ECG_MITDB_CV_FOLDS][6] = {
    {101, 106, 112, 122, 209}, {109, 119, 201, 230}, {115, 205, 207, 208}, {116, 118, 203, 220},
    {108, 114, 124, 215, 223},
};

int ecg_mitdb_cv_fold(int k, const int **records) {
    if (k < 1 || k > ECG_MITDB_CV_FOLDS) return -1;
    const int *f = cv_folds[k - 1];
    int n = 0;
    while (n < 6 && f[n]) n++;
    *records = f;
    return n;
}

const int *ecg_dechazal_counts(const char *set) {
    static const int c1[ECG_AAMI_N_CLASSES] = {45866, 944, 3788, 415, 8};   /* 51,021 beats */
    static const int c2[ECG_AAMI_N_CLASSES] = {44259, 1837, 3221, 388, 7};  /* 49,712 beats */
    if (!set) return NULL;
    if (!strcmp(set, "ds1")) return c1;
    if (!strcmp(set, "ds2")) return c2;
    return NULL;
}

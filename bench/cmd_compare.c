/* `ecgbench compare A.csv B.csv`: two results.csv files (two machines, two commits, two variants)
 * side by side. Rows are matched on dataset, split, model, variant, batch and threads; each
 * measured column present in both gets A, B and the ratio B/A. Rows found in one file only are
 * listed as such, never silently dropped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

static const char *const key_cols[] = {"dataset", "split", "model", "variant", "batch", "threads"};
static const char *const value_cols[] = {"accuracy",       "macro_f1",          "score",
                                         "size_bytes",     "latency_median_us", "latency_p90_us",
                                         "latency_p99_us", "init_ms",           "peak_rss_kb"};
enum { N_KEYS = sizeof key_cols / sizeof *key_cols, N_VALUES = sizeof value_cols / sizeof *value_cols };

typedef struct {
    ecg_csv_table t;
    int key[N_KEYS], val[N_VALUES];
} side;

static void key_of(const side *s, int row, char *buf, size_t n) {
    buf[0] = 0;
    for (int k = 0; k < N_KEYS; k++) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", k ? " " : "", s->key[k] >= 0 ? s->t.rows[row][s->key[k]] : "");
    }
}

static int find_row(const side *s, const char *key) {
    char k[1024];
    for (int r = 1; r < s->t.n_rows; r++) {
        key_of(s, r, k, sizeof k);
        if (!strcmp(k, key)) return r;
    }
    return -1;
}

static int open_side(const char *path, side *s) {
    char err[1024];
    if (ecg_csv_read(path, &s->t, err, sizeof err)) {
        fprintf(stderr, "ecgbench compare: %s\n", err);
        return -1;
    }
    for (int k = 0; k < N_KEYS; k++) s->key[k] = ecg_csv_col(&s->t, key_cols[k]);
    for (int v = 0; v < N_VALUES; v++) s->val[v] = ecg_csv_col(&s->t, value_cols[v]);
    if (s->key[0] < 0 || s->key[2] < 0) {
        fprintf(stderr, "ecgbench compare: %s is not a results.csv (no dataset/model columns)\n", path);
        ecg_csv_table_free(&s->t);
        return -1;
    }
    return 0;
}

/* A cell as a number; NAN when empty or not a number. */
static double cell_num(const side *s, int row, int col) {
    if (col < 0 || row < 0) return NAN;
    const char *c = s->t.rows[row][col];
    char *end;
    double v = strtod(c, &end);
    return end == c || *end ? NAN : v;
}

/* Whole numbers (sizes, counts) in full, others to 6 significant digits, "-" for none. */
static void fmt_num(char *buf, size_t n, double v) {
    if (isnan(v)) snprintf(buf, n, "-");
    else if (v == floor(v) && fabs(v) < 1e15) snprintf(buf, n, "%.0f", v);
    else snprintf(buf, n, "%.6g", v);
}

int ecg_cmd_compare(int argc, char **argv) {
    if (argc != 3 || !strcmp(argv[1], "--help")) {
        int help = argc == 2 && !strcmp(argv[1], "--help");
        fprintf(help ? stdout : stderr, "usage: ecgbench compare A.csv B.csv\n"
                                        "  two results.csv side by side: per matched row, A, B and B/A of each "
                                        "measured column both have\n");
        return help ? 0 : 2;
    }
    side a = {0}, b = {0};
    if (open_side(argv[1], &a)) return 1;
    if (open_side(argv[2], &b)) {
        ecg_csv_table_free(&a.t);
        return 1;
    }
    int cols[N_VALUES], n_cols = 0; /* measured columns both have, and that hold a number somewhere */
    for (int v = 0; v < N_VALUES; v++) {
        int any = 0;
        for (int r = 1; r < a.t.n_rows && !any; r++) any = !isnan(cell_num(&a, r, a.val[v]));
        for (int r = 1; r < b.t.n_rows && !any; r++) any = !isnan(cell_num(&b, r, b.val[v]));
        if (a.val[v] >= 0 && b.val[v] >= 0 && any) cols[n_cols++] = v;
    }
    printf("A = %s\nB = %s\n\n| dataset split model variant batch threads |", argv[1], argv[2]);
    for (int i = 0; i < n_cols; i++) printf(" %s A | B | B/A |", value_cols[cols[i]]);
    printf("\n|---|");
    for (int i = 0; i < n_cols; i++) printf("---:|---:|---:|");
    printf("\n");
    char key[1024];
    int matched = 0;
    for (int r = 1; r < a.t.n_rows; r++) {
        key_of(&a, r, key, sizeof key);
        int rb = find_row(&b, key);
        if (rb < 0) continue;
        matched++;
        printf("| %s |", key);
        for (int i = 0; i < n_cols; i++) {
            double x = cell_num(&a, r, a.val[cols[i]]), y = cell_num(&b, rb, b.val[cols[i]]);
            char sx[32], sy[32];
            fmt_num(sx, sizeof sx, x), fmt_num(sy, sizeof sy, y);
            if (isnan(x) || isnan(y) || x == 0) printf(" %s | %s | - |", sx, sy);
            else printf(" %s | %s | %.3f |", sx, sy, y / x);
        }
        printf("\n");
    }
    for (int r = 1; r < a.t.n_rows; r++) {
        key_of(&a, r, key, sizeof key);
        if (find_row(&b, key) < 0) printf("only in A: %s\n", key);
    }
    for (int r = 1; r < b.t.n_rows; r++) {
        key_of(&b, r, key, sizeof key);
        if (find_row(&a, key) < 0) printf("only in B: %s\n", key);
    }
    printf("%d rows matched\n", matched);
    ecg_csv_table_free(&a.t);
    ecg_csv_table_free(&b.t);
    return 0;
}

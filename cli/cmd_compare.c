/* `ecgbench compare A.csv B.csv`: two results.csv files (two machines, two commits, two variants)
 * side by side. A header names each side's commit, CPU and data (from the run.json `ecgbench
 * report` writes beside results.csv, and the data_version column), with a warning when one side
 * ran on the bundled sample and the other did not. Then one section per measured column that both
 * files have: per run (accuracy, sizes: matched on dataset, split, model, variant) or per latency
 * setting (matched on those and batch, threads), each row with A, B and B/A. Rows found in one
 * file only are listed as such, never silently dropped. Lines stay under 100 characters: a run
 * name too long for its column goes on a line of its own. A results.csv whose run.json lists it
 * with another size or SHA-256 is refused (it is not what its report wrote); one with no run.json
 * beside it is compared with a warning. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "datasets/datasets.h"
#include "report/csv.h"
#include "runs/files.h"

#define LINE_MAX_CHARS 99 /* a run name that would push a line past it gets a line of its own */
#define MAX_DATA 8        /* distinct data_version values named per side */

/* run: two runs of one model, variant and data (seeds) are two rows, not a duplicate */
/* seed: a run's further seeds (models/seeds) are rows of the same run with their seed */
static const char *const key_cols[] = {"dataset", "split", "model", "variant", "run", "seed", "batch", "threads"};
enum { K_DATASET, K_SPLIT, K_MODEL, K_VARIANT, K_RUN, K_SEED, K_BATCH, K_THREADS, N_KEYS };
static const struct {
    const char *col;
    int per_setting; /* depends on batch and threads; else one figure per run */
} value_cols[] = {{"accuracy", 0},          {"macro_f1", 0},       {"score", 0},
                  {"size_bytes", 0},        {"peak_rss_kb", 0},    {"latency_median_us", 1},
                  {"latency_p90_us", 1},    {"latency_p99_us", 1}, {"init_ms", 1}};
enum { N_VALUES = sizeof value_cols / sizeof *value_cols };

typedef struct {
    const char *path;
    cJSON *run; /* the run.json beside it, NULL when there is none */
    ecg_csv_table t;
    int key[N_KEYS], val[N_VALUES], sample_col, version_col;
    int split_differs; /* rows of more than one split: the run names say which */
} side;

static const char *cell(const side *s, int row, int col) { return col >= 0 ? s->t.rows[row][col] : ""; }

static int same_key(const side *a, int ra, const side *b, int rb, int with_setting);

/* dataset [split] model variant [(run R), when another row differs only in its run], and
 * with_setting: " bB tT": the name a row is shown under (free it). Never cut: two long names that
 * differ late stay two names. */
static char *key_of(const side *s, int row, int with_setting, int show_split) {
    char *k = NULL;
    const char *run = cell(s, row, s->key[K_RUN]), *seed = cell(s, row, s->key[K_SEED]);
    int odd_run = 0, odd_seed = 0;
    for (int r = 1; r < s->t.n_rows && !odd_run; r++)
        if (r != row && same_key(s, r, s, row, with_setting) == 2) {
            odd_run = strcmp(run, cell(s, r, s->key[K_RUN])) != 0;
            odd_seed |= !odd_run;
        }
    char seed_note[64] = "";
    if (odd_seed) /* another row differs in its seed alone */
        snprintf(seed_note, sizeof seed_note, " (seed %s)", seed);
    int n = asprintf(&k, "%s%s%s %s %s%s%s%s%s%s%s%s%s", cell(s, row, s->key[K_DATASET]), show_split ? " " : "",
                     show_split ? cell(s, row, s->key[K_SPLIT]) : "", cell(s, row, s->key[K_MODEL]),
                     cell(s, row, s->key[K_VARIANT]), odd_run ? " (run " : "", odd_run ? run : "", odd_run ? ")" : "",
                     seed_note,
                     with_setting ? " b" : "",
                     with_setting ? cell(s, row, s->key[K_BATCH]) : "", with_setting ? " t" : "",
                     with_setting ? cell(s, row, s->key[K_THREADS]) : "");
    if (n < 0) {
        fprintf(stderr, "ecgbench compare: out of memory\n");
        exit(1);
    }
    return k;
}

/* 1 when rows ra of a and rb of b have the same key, field by field (always with the split, so
 * rows of two splits never match; with_setting: batch and threads too); 2 when only the run
 * differs; else 0. */
static int same_key(const side *a, int ra, const side *b, int rb, int with_setting) {
    int same_run = 1;
    for (int k = 0; k < N_KEYS; k++) {
        if (!with_setting && (k == K_BATCH || k == K_THREADS)) continue;
        if (k == K_RUN || k == K_SEED) { /* compared only when both files have the column */
            same_run &= a->key[k] < 0 || b->key[k] < 0 || !strcmp(cell(a, ra, a->key[k]), cell(b, rb, b->key[k]));
            continue;
        }
        if (strcmp(cell(a, ra, a->key[k]), cell(b, rb, b->key[k]))) return 0;
    }
    return same_run ? 1 : 2; /* 2: the same but for the run (see key_of) */
}

/* The first row of s with row `row` of `from`'s key. */
static int find_row(const side *s, const side *from, int row, int with_setting) {
    for (int r = 1; r < s->t.n_rows; r++)
        if (same_key(s, r, from, row, with_setting) == 1) return r;
    return -1;
}

/* The first row of its run (per-run figures repeat on every setting's row). */
static int first_of_run(const side *s, int row) {
    for (int r = 1; r < row; r++)
        if (same_key(s, r, s, row, 0) == 1) return 0;
    return 1;
}

/* A cell as a number (ecg_csv_number: strict); NAN when empty. Checked in open_side. */
static double cell_num(const side *s, int row, int col) {
    double v;
    if (col < 0 || row < 0 || ecg_csv_number(s->t.rows[row][col], &v)) return NAN;
    return v;
}

/* The run.json beside path, into s->run. A report's run.json lists the files it wrote with their
 * sizes and SHA-256: a results.csv that no longer matches its entry was changed after the report
 * (edited, or half replaced by a report that was killed), so it is refused, not compared. No
 * run.json at all (a report killed before it finished, or a file from elsewhere) is a warning;
 * one that cannot be read is an error. 0, or -1 after the message. */
static int read_run_json(const char *path, side *s) {
    const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
    int dir_len = slash ? (int)(slash - path) : 1;
    char dir[1100], json[1200], err[1400];
    snprintf(dir, sizeof dir, "%.*s", dir_len, slash ? path : ".");
    snprintf(json, sizeof json, "%s/run.json", dir);
    if (access(json, F_OK) != 0) {
        fprintf(stderr, "ecgbench compare: warning: no run.json beside %s (a report that did not finish, or a file "
                        "from elsewhere): its commit and CPU are unknown and its contents unchecked\n", path);
        return 0;
    }
    if (!(s->run = ecg_read_json(json, err, sizeof err))) {
        fprintf(stderr, "ecgbench compare: %s\n", err);
        return -1;
    }
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(s->run, "files");
    if (!files) return 0; /* written before reports listed their files: nothing to check against */
    const cJSON *entry = cJSON_GetObjectItemCaseSensitive(files, name);
    if (!entry) {
        fprintf(stderr, "ecgbench compare: warning: %s does not list %s: its contents are unchecked\n", json, name);
        return 0;
    }
    /* the entry of this file alone: the report's other files are not compared */
    cJSON *one = cJSON_CreateObject(), *list = one ? cJSON_AddObjectToObject(one, "files") : NULL;
    cJSON *copy = list ? cJSON_Duplicate(entry, 1) : NULL;
    int rc = copy && cJSON_AddItemToObject(list, name, copy) ? ecg_manifest_check_files(one, dir, json, err, sizeof err)
                                                             : (snprintf(err, sizeof err, "out of memory"), -1);
    cJSON_Delete(one);
    if (rc < 0) {
        fprintf(stderr, "ecgbench compare: %s; %s is not the file its report wrote: not compared (run the report "
                        "again)\n", err, path);
        return -1;
    }
    return 0;
}

/* The table and its columns, checked; on error the table is freed. */
static int read_table(const char *path, side *s) {
    char err[1024];
    if (ecg_csv_read(path, &s->t, err, sizeof err)) {
        fprintf(stderr, "ecgbench compare: %s\n", err);
        return -1;
    }
    for (int k = 0; k < N_KEYS; k++) s->key[k] = ecg_csv_col(&s->t, key_cols[k]);
    for (int v = 0; v < N_VALUES; v++) s->val[v] = ecg_csv_col(&s->t, value_cols[v].col);
    s->sample_col = ecg_csv_col(&s->t, "sample");
    s->version_col = ecg_csv_col(&s->t, "data_version");
    if (s->key[K_DATASET] < 0 || s->key[K_MODEL] < 0) {
        fprintf(stderr, "ecgbench compare: %s is not a results.csv (no dataset/model columns)\n", path);
        ecg_csv_table_free(&s->t);
        return -1;
    }
    /* A row twice would be matched once and the other copy dropped without a word; a measured
     * cell that is not a number would show as "-". Both are errors, with their lines. */
    for (int r = 1; r < s->t.n_rows; r++) {
        for (int v = 0; v < N_VALUES; v++) {
            double x;
            if (s->val[v] >= 0 && ecg_csv_number(s->t.rows[r][s->val[v]], &x)) {
                char shown[64];
                fprintf(stderr, "ecgbench compare: %s:%d: column %s holds '%s', not a decimal number\n", path,
                        s->t.lines[r], value_cols[v].col,
                        ecg_printable(s->t.rows[r][s->val[v]], strlen(s->t.rows[r][s->val[v]]), shown, sizeof shown));
                ecg_csv_table_free(&s->t);
                return -1;
            }
        }
        for (int q = 1; q < r; q++)
            if (same_key(s, q, s, r, 1) == 1) {
                char *k = key_of(s, r, 1, 1);
                fprintf(stderr, "ecgbench compare: %s:%d: the same row as line %d (%s)\n", path, s->t.lines[r],
                        s->t.lines[q], k);
                free(k);
                ecg_csv_table_free(&s->t);
                return -1;
            }
    }
    for (int r = 2; r < s->t.n_rows; r++)
        s->split_differs |= strcmp(cell(s, r, s->key[K_SPLIT]), cell(s, 1, s->key[K_SPLIT])) != 0;
    return 0;
}

static void side_free(side *s) {
    ecg_csv_table_free(&s->t);
    cJSON_Delete(s->run);
    s->run = NULL;
}

/* One side: its run.json checked first (a results.csv its report no longer vouches for is not read). */
static int open_side(const char *path, side *s) {
    s->path = path;
    if (read_run_json(path, s) == 0 && read_table(path, s) == 0) return 0;
    cJSON_Delete(s->run);
    s->run = NULL;
    return -1;
}

/* Whole numbers (sizes, counts) in full, others to 6 significant digits, "-" for none. */
static void fmt_num(char *buf, size_t n, double v) {
    if (isnan(v)) snprintf(buf, n, "-");
    else if (v == floor(v) && fabs(v) < 1e15) snprintf(buf, n, "%.0f", v);
    else snprintf(buf, n, "%.6g", v);
}

/* text after prefix, broken at spaces so no line passes LINE_MAX_CHARS; follow-on lines indented
 * as far as the prefix. */
static void print_wrapped(const char *prefix, const char *text) {
    int indent = (int)strlen(prefix), col = indent;
    fputs(prefix, stdout);
    while (*text) {
        size_t word = strcspn(text, " ");
        if (col > indent && col + 1 + (int)word > LINE_MAX_CHARS) printf("\n%*s", indent, ""), col = indent;
        else if (col > indent) putchar(' '), col++;
        printf("%.*s", (int)word, text);
        col += (int)word;
        text += word;
        while (*text == ' ') text++;
    }
    putchar('\n');
}

/* On the bundled sample: a row says so (sample = 1, or a data_version marked SAMPLE). */
static int on_sample(const side *s) {
    for (int r = 1; r < s->t.n_rows; r++)
        if (!strcmp(cell(s, r, s->sample_col), "1") || !strncmp(cell(s, r, s->version_col), "SAMPLE", 6)) return 1;
    return 0;
}

/* "A: path", the commit and CPU from the run.json beside it, and each data_version it holds. */
static void describe(const char *name, const side *s) {
    char prefix[16], line[600];
    snprintf(prefix, sizeof prefix, "%s: ", name);
    print_wrapped(prefix, s->path);
    const cJSON *j = s->run;
    const char *commit = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "git_commit"));
    const char *cpu = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "cpu_model"));
    const cJSON *cores = cJSON_GetObjectItemCaseSensitive(j, "cores");
    if (j)
        snprintf(line, sizeof line, "commit %s, CPU %s (%d cores)", commit ? commit : "?", cpu ? cpu : "?",
                 cJSON_IsNumber(cores) ? cores->valueint : 0);
    else
        snprintf(line, sizeof line, "commit and CPU unknown (no run.json beside it)");
    print_wrapped("   ", line);
    const char *seen[MAX_DATA];
    int n_seen = 0;
    for (int r = 1; r < s->t.n_rows && s->version_col >= 0; r++) {
        const char *v = cell(s, r, s->version_col);
        int dup = 0;
        for (int k = 0; k < n_seen; k++) dup |= !strcmp(seen[k], v);
        if (dup || n_seen == MAX_DATA) continue;
        seen[n_seen++] = v;
        print_wrapped("   data: ", v);
    }
    if (!n_seen) print_wrapped("   data: ", on_sample(s) ? "the bundled sample" : "not recorded");
}

/* One section: a measured column's A, B and B/A for every matched run (or run and setting). Three
 * passes over the rows: the numbers' width, then the names' (those that fit beside the numbers),
 * then the lines. */
static void print_section(const side *a, const side *b, int v, int show_split) {
    int set = value_cols[v].per_setting, name_w = 3 /* "run" */, num_w = 1, room = 0;
    char sx[32], sy[32];
    for (int pass = 0; pass < 3; pass++) {
        if (pass == 1) room = LINE_MAX_CHARS - 2 * (num_w + 1) - 8; /* " A B" and " %7s" B/A */
        if (pass == 2)
            printf("\n== %s (%s)\n%-*s %*s %*s %7s\n", value_cols[v].col, set ? "per batch and threads" : "per run",
                   name_w, "run", num_w, "A", num_w, "B", "B/A");
        for (int r = 1; r < a->t.n_rows; r++) {
            if (!set && !first_of_run(a, r)) continue;
            int rb = find_row(b, a, r, set);
            if (rb < 0) continue;
            char *name = key_of(a, r, set, show_split);
            double x = cell_num(a, r, a->val[v]), y = cell_num(b, rb, b->val[v]);
            fmt_num(sx, sizeof sx, x), fmt_num(sy, sizeof sy, y);
            int nl = (int)strlen(name), wx = (int)strlen(sx), wy = (int)strlen(sy);
            if (pass == 0) {
                num_w = wx > num_w ? wx : num_w;
                num_w = wy > num_w ? wy : num_w;
            } else if (pass == 1) {
                if (nl <= room && nl > name_w) name_w = nl;
            } else {
                if (nl > name_w) printf("%s\n%-*s", name, name_w, ""); /* too long: a line of its own */
                else printf("%-*s", name_w, name);
                printf(" %*s %*s", num_w, sx, num_w, sy);
                if (isnan(x) || isnan(y) || x == 0) printf(" %7s\n", "-");
                else printf(y / x < 0.01 ? " %7.2g\n" : " %7.3f\n", y / x);
            }
            free(name);
        }
    }
}

int ecg_cmd_compare(int argc, char **argv) {
    if (argc != 3 || !strcmp(argv[1], "--help")) {
        int help = argc == 2 && !strcmp(argv[1], "--help");
        fprintf(help ? stdout : stderr,
                "usage: ecgbench compare A.csv B.csv\n"
                "  two results.csv side by side: each side's commit, CPU (from the run.json beside it) and data,\n"
                "  then per measured column both have, A, B and B/A for every matched run (or setting);\n"
                "  a file its run.json lists with another SHA-256 is refused (exit 1), no run.json is a warning\n");
        return help ? 0 : 2;
    }
    side a = {0}, b = {0};
    if (open_side(argv[1], &a)) return 1;
    if (open_side(argv[2], &b)) {
        side_free(&a);
        return 1;
    }
    describe("A", &a);
    describe("B", &b);
    int sa = on_sample(&a), sb = on_sample(&b);
    if (sa != sb)
        printf("warning: %s ran on the bundled sample data and %s on the full data: their figures are not "
               "comparable\n",
               sa ? "A" : "B", sa ? "B" : "A");
    int show_split = a.split_differs || b.split_differs;
    for (int v = 0; v < N_VALUES; v++) { /* measured columns both have, and that hold a number somewhere */
        int any = 0;
        for (int r = 1; r < a.t.n_rows && !any; r++) any = !isnan(cell_num(&a, r, a.val[v]));
        for (int r = 1; r < b.t.n_rows && !any; r++) any = !isnan(cell_num(&b, r, b.val[v]));
        if (a.val[v] >= 0 && b.val[v] >= 0 && any) print_section(&a, &b, v, show_split);
    }
    int first = 1;
    for (int k = 0; k < 2; k++) {
        const side *x = k ? &b : &a, *y = k ? &a : &b;
        for (int r = 1; r < x->t.n_rows; r++) {
            if (find_row(y, x, r, 1) >= 0) continue;
            char *name = key_of(x, r, 1, show_split);
            printf("%sonly in %s: %s\n", first ? "\n" : "", k ? "B" : "A", name), first = 0;
            free(name);
        }
    }
    int rows = 0;
    for (int r = 1; r < a.t.n_rows; r++) rows += find_row(&b, &a, r, 1) >= 0;
    printf("%d rows matched\n", rows);
    side_free(&a);
    side_free(&b);
    return 0;
}

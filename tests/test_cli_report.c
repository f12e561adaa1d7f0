/* `ecgbench report` on a run trained on the bundled sample: every output file is written with
 * its columns, the tables say they are on sample data, and every number in tables.md is a figure
 * of results.csv or per_class.csv (rounded as the table shows it), none typed in by hand. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "../report/report.h"
#include "../runs/files.h"
#include "../runs/manifest.h"
#include "harness.h"

enum { MAX_VALUES = 4096 };

/* Every numeric cell of a CSV file (after its header line). */
static int csv_numbers(const char *path, double *v, int n) {
    char *text = test_read_file(path);
    if (!text) return n;
    char *p = strchr(text, '\n');
    while (p && *p && n < MAX_VALUES) {
        p++;
        char *end;
        double x = strtod(p, &end);
        if (end != p && (*end == ',' || *end == '\n' || *end == 0)) v[n++] = x;
        p = strpbrk(p, ",\n");
    }
    free(text);
    return n;
}

/* A table cell as the tables print figures: 100x as %.1f, %.3f, a count, MFLOPs, KiB. */
static int shown_as(double v, const char *cell) {
    char buf[64];
    const char *dot = strchr(cell, '.');
    int decimals = dot ? (int)strlen(dot + 1) : 0;
    double scaled[] = {v, 100 * v, v / 1e6, v / 1024};
    for (size_t i = 0; i < sizeof scaled / sizeof *scaled; i++) {
        snprintf(buf, sizeof buf, "%.*f", decimals, scaled[i]);
        if (!strcmp(buf, cell)) return 1;
    }
    return 0;
}

static int header_has(const char *path, const char *const *cols, int n) {
    char *text = test_read_file(path);
    int ok = text != NULL;
    for (int i = 0; ok && i < n; i++) ok = strstr(text, cols[i]) != NULL;
    free(text);
    return ok;
}

/* layers.csv: every layer the executor runs has a latency and its GFLOP/s (FLOPs / latency);
 * batchnorms (folded into their conv) and dropouts have none; convs take the most time. Every
 * layer has its bytes (a conv's at least its f32 weights) and the GFLOP/s they would allow at
 * run.json's memory read rate (FLOPs x GB/s / bytes, to the CSV's 6 digits). */
static void check_layers(const char *path, const char *run_json) {
    ecg_csv_table t;
    char err[256];
    CHECK(ecg_csv_read(path, &t, err, sizeof err) == 0, "%s", err);
    int op = ecg_csv_col(&t, "op"), fl = ecg_csv_col(&t, "flops"), us = ecg_csv_col(&t, "latency_us"),
        gf = ecg_csv_col(&t, "gflops"), by = ecg_csv_col(&t, "bytes"), mb = ecg_csv_col(&t, "memory_bound_gflops"),
        pa = ecg_csv_col(&t, "params");
    CHECK(op >= 0 && fl >= 0 && us >= 0 && gf >= 0, "layers.csv lacks op, flops, latency_us or gflops");
    cJSON *run = ecg_read_json(run_json, err, sizeof err);
    double gbps = run ? ecg_json_num(run, "memory_read_gbps") : NAN;
    cJSON_Delete(run);
    CHECK(gbps > 0.1 && gbps < 10000, "run.json's memory read rate %g GB/s", gbps);
    for (int r = 1; r < t.n_rows && by >= 0 && mb >= 0 && pa >= 0 && fl >= 0; r++) {
        double b = atof(t.rows[r][by]), m = atof(t.rows[r][mb]), f = atof(t.rows[r][fl]);
        CHECK(b > 0 && (strcmp(t.rows[r][op], "conv1d") || b >= 4 * atof(t.rows[r][pa])), "layer %d: %g bytes", r, b);
        CHECK(fabs(m - f * gbps / b) <= 2e-5 * m + 1e-9, "layer %d: memory bound %g GFLOP/s for %g FLOPs, %g bytes", r,
              m, f, b);
    }
    CHECK(by >= 0 && mb >= 0, "layers.csv lacks bytes or memory_bound_gflops");
    double sum = 0, conv = 0;
    int timed = 0;
    for (int r = 1; r < t.n_rows && op >= 0 && fl >= 0 && us >= 0 && gf >= 0; r++) {
        const char *o = t.rows[r][op], *u = t.rows[r][us];
        int absent = !strcmp(o, "batchnorm") || !strcmp(o, "dropout");
        CHECK(absent == !u[0], "layer %d (%s): latency '%s'", r, o, u);
        if (!u[0]) continue;
        double v = atof(u), g = atof(t.rows[r][gf]), f = atof(t.rows[r][fl]);
        CHECK(v >= 0 && v < 1e5, "layer %d (%s): %g us", r, o, v);
        CHECK(v == 0 || fabs(g - f / (v * 1e3)) <= 1e-4 * g + 1e-9, "layer %d: %g GFLOP/s for %g FLOPs in %g us", r, g, f,
              v);
        sum += v;
        conv += strcmp(o, "conv1d") ? 0 : v;
        timed++;
    }
    CHECK(timed > 50 && sum > 0 && conv > sum / 2, "%d layers timed, %g us in all, %g us in convs", timed, sum, conv);
    ecg_csv_table_free(&t);
}

/* No Pareto front holds a run whose macro-F1 is not above the majority-class baseline of its
 * split: "always predict the most common class", whose macro-F1 this computes on its own from
 * the class supports in per_class.csv (that class's F1 2p/(1+p), over the classes present).
 * Returns how many front rows it checked. */
static int check_fronts_beat_baseline(const char *out) {
    char path[256], err[256];
    ecg_csv_table res, pc;
    snprintf(path, sizeof path, "%s/results.csv", out);
    CHECK(ecg_csv_read(path, &res, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/per_class.csv", out);
    CHECK(ecg_csv_read(path, &pc, err, sizeof err) == 0, "%s", err);
    int run = ecg_csv_col(&res, "run"), f1 = ecg_csv_col(&res, "macro_f1"), pl = ecg_csv_col(&res, "pareto_latency"),
        ps = ecg_csv_col(&res, "pareto_size"), deg = ecg_csv_col(&res, "degenerate");
    int pc_run = ecg_csv_col(&pc, "run"), pc_sup = ecg_csv_col(&pc, "support");
    CHECK(run >= 0 && f1 >= 0 && pl >= 0 && ps >= 0 && deg >= 0 && pc_run >= 0 && pc_sup >= 0,
          "results.csv or per_class.csv lacks a column");
    int checked = 0;
    for (int r = 1; run >= 0 && f1 >= 0 && pl >= 0 && ps >= 0 && deg >= 0 && pc_run >= 0 && pc_sup >= 0 &&
                    r < res.n_rows; r++) {
        if (strcmp(res.rows[r][pl], "1") && strcmp(res.rows[r][ps], "1")) continue;
        long total = 0, top = 0;
        int present = 0;
        for (int k = 1; k < pc.n_rows; k++) {
            if (strcmp(pc.rows[k][pc_run], res.rows[r][run])) continue;
            long sup = atol(pc.rows[k][pc_sup]);
            total += sup, present += sup > 0, top = sup > top ? sup : top;
        }
        double p = total ? (double)top / (double)total : 0, baseline = present ? 2 * p / (1 + p) / present : 0;
        CHECK(total > 0 && atof(res.rows[r][f1]) > baseline + 1e-9,
              "%s is on a front with macro-F1 %s, not above always predicting the most common class (%.4f)",
              res.rows[r][run], res.rows[r][f1], baseline);
        CHECK(!strcmp(res.rows[r][deg], "0"), "%s: degenerate, yet on a front", res.rows[r][run]);
        checked++;
    }
    ecg_csv_table_free(&res);
    ecg_csv_table_free(&pc);
    return checked;
}

/* Every "## " section of tables.md, and every table of tables.tex, says it is on the sample. */
static void check_tables_bannered(const char *out) {
    char path[256];
    static const struct {
        const char *file, *section, *banner;
    } f[] = {{"tables.md", "\n## ", "**Bundled sample data"}, {"tables.tex", "\\caption{", "Bundled sample data"}};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", out, f[i].file);
        char *text = test_read_file(path);
        CHECK(text != NULL, "no %s", path);
        int sections = 0;
        for (char *s = text ? strstr(text, f[i].section) : NULL; s; s = strstr(s + 1, f[i].section)) {
            sections++;
            char *next = strstr(s + 1, f[i].section), *banner = strstr(s, f[i].banner);
            CHECK(banner && (!next || banner < next), "%s: section %d has no sample banner: %.80s", f[i].file,
                  sections, s + 1);
        }
        CHECK(sections >= 7, "%s: %d sections", f[i].file, sections);
        free(text);
    }
}

/* The plot's Pareto front is drawn joined: the SVG path in the front's colour has a line segment
 * ("L") between each two of its n points. */
static void check_front_joined(const char *svg_path, int n_front) {
    char *svg = test_read_file(svg_path);
    CHECK(svg != NULL, "no %s", svg_path);
    const char *p = svg ? strstr(svg, "<path stroke='rgb(204,  51,  17)'") : NULL;
    CHECK(p != NULL, "%s: no path in the front's colour", svg_path);
    int segments = 0;
    const char *end = p ? strstr(p, "/>") : NULL;
    for (const char *q = p; q && end && q < end; q++) segments += *q == 'L';
    CHECK(segments == n_front - 1, "%s: the front's path has %d line segments for %d points", svg_path, segments,
          n_front);
    free(svg);
}

/* A trained run of a made-up report on mitdb-aami's five classes, its confusion matrix given. */
static void made_up_row(ecg_report_row *r, ecg_run *run, const char *model, long size, const long conf[5][5]) {
    static const char *const names[] = {"N", "S", "V", "F", "Q"};
    memset(run, 0, sizeof *run);
    memset(r, 0, sizeof *r);
    run->model = model, run->task = "mitdb-aami", run->variant = "f32";
    snprintf(run->dir, sizeof run->dir, "runs/%s-mitdb-aami", model);
    r->run = run;
    r->task = ecg_task_find("mitdb-aami");
    snprintf(r->run_name, sizeof r->run_name, "%s-mitdb-aami", model);
    snprintf(r->split, sizeof r->split, "test");
    snprintf(r->data_version, sizeof r->data_version, "made up");
    r->sample = 1;
    ecg_metrics_init(&r->m, 5);
    for (int t = 0; t < 5; t++)
        for (int p = 0; p < 5; p++) r->m.confusion[t][p] = conf[t][p], r->m.n += conf[t][p];
    ecg_metrics_finish(&r->m);
    for (int c = 0; c < 5; c++) snprintf(r->class_names[c], sizeof r->class_names[c], "%s", names[c]);
    r->size_bytes = size, r->torch_eager_us = r->torch_script_us = NAN, r->score = NAN;
    ecg_report_judge(r);
}

/* 89% of the beats are N. "Always N" is the smallest run and the most accurate (0.89): on an
 * accuracy front it would lead; one that calls 98% of the beats N is next. Neither may be on the
 * front, which is drawn joined through the two real runs, and both are marked degenerate. */
static void test_degenerate_runs_off_the_front(void) {
    static const long always_n[5][5] = {{890, 0, 0, 0, 0}, {50, 0, 0, 0, 0}, {50, 0, 0, 0, 0}, {5, 0, 0, 0, 0},
                                        {5, 0, 0, 0, 0}};
    static const long mostly_n[5][5] = {{889, 1, 0, 0, 0}, {40, 10, 0, 0, 0}, {50, 0, 0, 0, 0}, {5, 0, 0, 0, 0},
                                        {5, 0, 0, 0, 0}};
    static const long fair[5][5] = {{780, 60, 40, 10, 0}, {15, 30, 5, 0, 0}, {10, 5, 35, 0, 0}, {1, 0, 1, 3, 0},
                                    {1, 0, 1, 0, 3}};
    static const long good[5][5] = {{780, 60, 45, 5, 0}, {10, 38, 2, 0, 0}, {5, 2, 43, 0, 0}, {1, 0, 0, 4, 0},
                                    {0, 0, 1, 0, 4}};
    ecg_run runs[4];
    ecg_report_row rows[4];
    made_up_row(&rows[0], &runs[0], "always-n", 100000, always_n);
    made_up_row(&rows[1], &runs[1], "mostly-n", 200000, mostly_n);
    made_up_row(&rows[2], &runs[2], "fair", 1000000, fair);
    made_up_row(&rows[3], &runs[3], "good", 5000000, good);
    /* mostly-n: a 90%-pruned variant of good (the sweep plot) */
    snprintf(rows[1].source_name, sizeof rows[1].source_name, "%s", rows[3].run_name);
    rows[1].sparsity = 0.9;
    CHECK(rows[0].m.accuracy > rows[2].m.accuracy && rows[0].m.accuracy > rows[3].m.accuracy,
          "always N should be the most accurate: %g vs %g, %g", rows[0].m.accuracy, rows[2].m.accuracy,
          rows[3].m.accuracy);
    CHECK(fabs(rows[0].majority_macro_f1 - 2 * 0.89 / 1.89 / 5) < 1e-9, "baseline macro-F1 %g", rows[0].majority_macro_f1);
    CHECK(rows[0].degenerate && rows[1].degenerate, "always N (%d), 98%% N (%d): degenerate", rows[0].degenerate,
          rows[1].degenerate);
    CHECK(rows[1].m.macro_f1 > rows[1].majority_macro_f1, "98%% N beats the baseline's macro-F1 (%g vs %g): "
          "the share rule alone must catch it", rows[1].m.macro_f1, rows[1].majority_macro_f1);
    CHECK(!rows[2].degenerate && !rows[3].degenerate, "the fair and good runs are not degenerate");
    int on[4];
    for (int i = 0; i < 4; i++) on[i] = ecg_report_on_front(rows, 4, &rows[i], 0);
    CHECK(!on[0] && !on[1] && on[2] && on[3], "size front: always N %d, 98%% N %d, fair %d, good %d", on[0], on[1],
          on[2], on[3]);

    char dir[] = "/tmp/ecgbench_front_XXXXXX", err[256], path[160], cmd[512];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    CHECK(ecg_report_write_csv(dir, rows, 4, 0, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_report_write_plot_labels(dir, rows, 4, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_report_write_tables(dir, rows, 4, 0, 0, err, sizeof err) == 0, "%s", err);
    CHECK(check_fronts_beat_baseline(dir) == 2, "two runs on the size front");
    snprintf(cmd, sizeof cmd, "gnuplot -e \"outdir='%s'; dataset='mitdb-aami'\" reports/accuracy.gp >/dev/null 2>&1",
             dir);
    CHECK(system(cmd) == 0, "gnuplot failed: %s", cmd);
    snprintf(path, sizeof path, "%s/accuracy_size_mitdb-aami.svg", dir);
    check_front_joined(path, 2);
    char *svg = test_read_file(path);
    CHECK(svg && strstr(svg, "bundled sample data") && strstr(svg, "degenerate runs"),
          "%s: no sample banner or no word on the degenerate runs", path);
    free(svg);
    /* the sweep: the degenerate variant marked, the banner */
    snprintf(cmd, sizeof cmd, "gnuplot -e \"outdir='%s'\" reports/sweep.gp >/dev/null 2>&1", dir);
    CHECK(system(cmd) == 0, "gnuplot failed: %s", cmd);
    snprintf(path, sizeof path, "%s/sweep.svg", dir);
    svg = test_read_file(path);
    CHECK(svg && strstr(svg, "bundled sample data") && strstr(svg, "degenerate (macro-F1)"),
          "%s: no sample banner or no degenerate marker", path);
    free(svg);
    snprintf(path, sizeof path, "%s/tables.md", dir);
    char *md = test_read_file(path);
    CHECK(md && strstr(md, "| always-n (degenerate) |") && strstr(md, "always-n f32: predicts N for 100.0%") &&
              strstr(md, "| mostly-n | f32 (degenerate) |"),
          "tables.md does not mark always-n degenerate");
    free(md);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

/* The body of tables.md's section whose title starts with `title` (up to the next "## "), copied
 * into buf; "" when there is none. */
static const char *md_section(const char *md, const char *title, char *buf, size_t n) {
    const char *p = md ? strstr(md, title) : NULL, *end = p ? strstr(p + 1, "\n## ") : NULL;
    snprintf(buf, n, "%.*s", p ? (int)(end ? end - p : (long)strlen(p)) : 0, p ? p : "");
    return buf;
}

/* A mitdb-aami-2lead run has its own table; the one-lead table names its lead and holds only
 * mitdb-aami's runs. */
static void test_two_lead_table(void) {
    static const long conf[5][5] = {{780, 60, 45, 5, 0}, {10, 38, 2, 0, 0}, {5, 2, 43, 0, 0}, {1, 0, 0, 4, 0},
                                    {0, 0, 1, 0, 4}};
    ecg_run runs[2];
    ecg_report_row rows[2];
    made_up_row(&rows[0], &runs[0], "one-lead", 100000, conf);
    made_up_row(&rows[1], &runs[1], "two-lead", 100000, conf);
    runs[1].task = "mitdb-aami-2lead";
    rows[1].task = ecg_task_find("mitdb-aami-2lead");
    CHECK(rows[1].task != NULL, "mitdb-aami-2lead registered");
    if (!rows[1].task) return;
    char dir[] = "/tmp/ecgbench_2lead_tables_XXXXXX", err[256], path[160], cmd[200];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    CHECK(ecg_report_write_tables(dir, rows, 2, 0, 0, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/tables.md", dir);
    char *md = test_read_file(path), one[8192], two[8192];
    md_section(md, "## MIT-BIH arrhythmia, inter-patient (trained on DS1, tested on DS2), lead MLII", one, sizeof one);
    md_section(md, "## MIT-BIH arrhythmia, two leads, inter-patient", two, sizeof two);
    CHECK(strstr(one, "| one-lead |") && !strstr(one, "two-lead"), "one-lead table:\n%s", one);
    CHECK(strstr(two, "| two-lead |") && !strstr(two, "one-lead"), "two-lead table:\n%s", two);
    free(md);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

/* `ecgbench eval` prints an undefined metric (a class with no examples, or never predicted) as
 * "-", as the tables do, not "nan". */
static void test_metrics_print_dash(void) {
    ecg_metrics m;
    ecg_metrics_init(&m, 3);
    m.confusion[0][0] = 5, m.confusion[1][0] = 2, m.n = 7; /* class 2: no examples, no predictions */
    ecg_metrics_finish(&m);
    static const char *const names[] = {"N", "S", "V"};
    FILE *f = tmpfile();
    CHECK(f != NULL, "tmpfile");
    if (!f) return;
    ecg_metrics_print(f, &m, names);
    char text[2048] = {0};
    rewind(f);
    size_t got = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    CHECK(got > 0 && !strstr(text, "nan") && strstr(text, "        -"), "undefined metrics printed as:\n%s", text);
}

static void test_report_on_the_sample(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_report_XXXXXX", cache[64], runs[80], run[96], out[96], path[160];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(runs, sizeof runs, "%s/runs", dir);
    snprintf(run, sizeof run, "%s/efficientecg-s-mitdb-aami", runs);
    snprintf(out, sizeof out, "%s/out", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    /* the report measures peak RSS by running `ecgbench rss-probe`: the ecgbench binary, not this one */
    if (!getenv("ECGBENCH")) setenv("ECGBENCH", "build/asan/ecgbench", 1);
    char *train[] = {"train", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                     "--threads", "2", "--out", run, "--quiet"};
    CHECK(ecg_cmd_train(13, train) == 0, "train failed");
    /* and a committed cinc2017 run, whose sample records carry no SAMPLE mark of their own */
    char cinc[1200], cwd[1024];
    CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
    snprintf(cinc, sizeof cinc, "%s/models/weights/efficientecg-s-cinc2017", cwd);
    snprintf(path, sizeof path, "%s/efficientecg-s-cinc2017", runs);
    CHECK(symlink(cinc, path) == 0, "symlink %s", cinc);
    char *report[] = {"report", "--runs", runs, "--data", "datasets/sample", "--out", out, "--layer-reps", "21"};
    int report_rc;
    char *said = test_capture_stdout(ecg_cmd_report, 9, report, &report_rc);
    CHECK(report_rc == 0 && said, "report failed");

    static const char *const results_cols[] = {"dataset", "model", "variant", "accuracy", "macro_f1", "params",
                                               "nonzero_params", "flops", "size_bytes", "latency_median_us",
                                               "peak_rss_kb"};
    static const char *const class_cols[] = {"class", "support", "sensitivity", "ppv", "specificity", "f1"};
    snprintf(path, sizeof path, "%s/results.csv", out);
    CHECK(header_has(path, results_cols, 11), "results.csv columns");
    snprintf(path, sizeof path, "%s/per_class.csv", out);
    CHECK(header_has(path, class_cols, 6), "per_class.csv columns");
    static const char *const files[] = {"sweep.csv", "tables.tex", "run.json"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", out, files[i]);
        CHECK(access(path, R_OK) == 0, "no %s", files[i]);
    }

    ecg_csv_table t;
    char err[256];
    snprintf(path, sizeof path, "%s/results.csv", out);
    CHECK(ecg_csv_read(path, &t, err, sizeof err) == 0, "%s", err);
    int rss = ecg_csv_col(&t, "peak_rss_kb"), smp = ecg_csv_col(&t, "sample"), ds = ecg_csv_col(&t, "dataset");
    CHECK(t.n_rows == 3 && rss >= 0 && smp >= 0 && ds >= 0, "%d rows", t.n_rows);
    for (int r = 1; r < t.n_rows && rss >= 0 && smp >= 0 && ds >= 0; r++) {
        CHECK(atol(t.rows[r][rss]) > 1000, "peak RSS of one inference: %s KiB", t.rows[r][rss]);
        CHECK(!strcmp(t.rows[r][smp], "1"), "%s row: sample=%s on the bundled sample", t.rows[r][ds], t.rows[r][smp]);
    }
    /* the report names its degenerate runs, when it has any */
    int deg = ecg_csv_col(&t, "degenerate"), any_degenerate = 0;
    for (int r = 1; deg >= 0 && r < t.n_rows; r++) any_degenerate |= !strcmp(t.rows[r][deg], "1");
    CHECK(deg >= 0 && said && !!strstr(said, "report: degenerate, never on a Pareto front:") == any_degenerate,
          "degenerate runs in results.csv: %d; the report said:\n%s", any_degenerate, said ? said : "");
    free(said);
    ecg_csv_table_free(&t);
    check_tables_bannered(out);
    check_fronts_beat_baseline(out);

    char run_json[256];
    snprintf(path, sizeof path, "%s/layers.csv", out);
    snprintf(run_json, sizeof run_json, "%s/run.json", out);
    check_layers(path, run_json);

    /* confusion.csv: the cells of a true class add up to its support in per_class.csv. */
    ecg_csv_table pc, cm;
    snprintf(path, sizeof path, "%s/per_class.csv", out);
    CHECK(ecg_csv_read(path, &pc, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/confusion.csv", out);
    CHECK(ecg_csv_read(path, &cm, err, sizeof err) == 0, "%s", err);
    int pc_run = ecg_csv_col(&pc, "run"), pc_cls = ecg_csv_col(&pc, "class"), pc_sup = ecg_csv_col(&pc, "support");
    int cm_run = ecg_csv_col(&cm, "run"), cm_cls = ecg_csv_col(&cm, "true_class"), cm_n = ecg_csv_col(&cm, "count");
    CHECK(pc_run >= 0 && pc_cls >= 0 && pc_sup >= 0 && cm_run >= 0 && cm_cls >= 0 && cm_n >= 0, "columns");
    CHECK(cm.n_rows == 1 + 5 * 5 + 4 * 4, "a header, 5 x 5 and 4 x 4 cells, got %d rows", cm.n_rows);
    for (int i = 1; pc_sup >= 0 && cm_n >= 0 && i < pc.n_rows; i++) { /* row 0: the header */
        long sum = 0;
        for (int j = 1; j < cm.n_rows; j++)
            if (!strcmp(cm.rows[j][cm_run], pc.rows[i][pc_run]) && !strcmp(cm.rows[j][cm_cls], pc.rows[i][pc_cls]))
                sum += atol(cm.rows[j][cm_n]);
        CHECK(sum == atol(pc.rows[i][pc_sup]), "%s class %s: confusion row sums to %ld, support %s",
              pc.rows[i][pc_run], pc.rows[i][pc_cls], sum, pc.rows[i][pc_sup]);
    }
    ecg_csv_table_free(&pc);
    ecg_csv_table_free(&cm);

    double *v = malloc(sizeof(double) * MAX_VALUES);
    snprintf(path, sizeof path, "%s/results.csv", out);
    int n = csv_numbers(path, v, 0);
    snprintf(path, sizeof path, "%s/per_class.csv", out);
    n = csv_numbers(path, v, n);
    snprintf(path, sizeof path, "%s/tables.md", out);
    char *md = test_read_file(path);
    CHECK(md && strstr(md, "Bundled sample data"), "tables.md does not say it is on the sample");
    int checked = 0;
    for (char *line = md ? strtok(md, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "| ", 2) || strstr(line, "---")) continue;
        char *save, *cell = strtok_r(line, "|", &save);
        for (; cell; cell = strtok_r(NULL, "|", &save)) {
            while (*cell == ' ') cell++;
            char *e = cell + strlen(cell);
            while (e > cell && e[-1] == ' ') *--e = 0;
            char *end;
            strtod(cell, &end);
            if (end == cell || *end) continue; /* words: names, headers, "-" */
            int found = 0;
            for (int i = 0; i < n && !found; i++) found = shown_as(v[i], cell);
            CHECK(found, "tables.md shows %s, which is no figure of the CSVs", cell);
            checked++;
        }
    }
    CHECK(checked > 10, "only %d numbers in tables.md", checked);
    free(md);
    free(v);

    /* The plots: valid PNG and SVG files whose axes are labelled, each saying it is on the sample. */
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "gnuplot -e \"outdir='%s'; dataset='mitdb-aami'\" reports/accuracy.gp >/dev/null 2>&1 && "
             "gnuplot -e \"outdir='%s'; dataset='cinc2017'\" reports/accuracy.gp >/dev/null 2>&1 && "
             "gnuplot -e \"outdir='%s'; run='efficientecg-s-cinc2017'\" reports/confusion.gp >/dev/null 2>&1 && "
             "gnuplot -e \"outdir='%s'; runs='%s'\" reports/training.gp >/dev/null 2>&1 && "
             "gnuplot -e \"outdir='%s'; run='efficientecg-s-mitdb-aami'\" reports/confusion.gp >/dev/null 2>&1 && "
             "gnuplot -e \"outdir='%s'; run='efficientecg-s-mitdb-aami'\" reports/layers.gp >/dev/null 2>&1",
             out, out, out, out, run, out, out);
    CHECK(system(cmd) == 0, "gnuplot failed: %s", cmd);
    static const struct {
        const char *file, *label;
    } plots[] = {{"accuracy_size_mitdb-aami", "macro-F1 (mean F1 of the classes present), test split"},
                 {"accuracy_size_mitdb-aami", "accuracy"},
                 {"accuracy_size_cinc2017", "challenge F1 (mean F1 of Normal, AF, Other), test split"},
                 {"confusion_efficientecg-s-cinc2017", "predicted class"},
                 {"training", "validation macro-F1"},
                 {"confusion_efficientecg-s-mitdb-aami", "predicted class"},
                 {"layers_efficientecg-s-mitdb-aami", "MFLOPs (multiply-add = 2)"},
                 {"layers_efficientecg-s-mitdb-aami", "latency (µs, batch 1, 1 thread, median)"}};
    for (size_t i = 0; i < sizeof plots / sizeof *plots; i++) {
        snprintf(path, sizeof path, "%s/%s.png", out, plots[i].file);
        char *png = test_read_file(path);
        CHECK(png && !memcmp(png, "\x89PNG\r\n\x1a\n", 8), "%s is not a PNG", path);
        free(png);
        snprintf(path, sizeof path, "%s/%s.svg", out, plots[i].file);
        char *svg = test_read_file(path);
        CHECK(svg && strstr(svg, "<svg") && strstr(svg, "</svg>") && strstr(svg, plots[i].label),
              "%s is not an SVG with the axis label '%s'", path, plots[i].label);
        /* the per-layer plot shows no score: no banner needed */
        CHECK(!strncmp(plots[i].file, "layers", 6) || (svg && strstr(svg, "bundled sample data: a smoke test")),
              "%s has no sample banner", path);
        free(svg);
    }
    /* the run's point is labelled with its model and variant, placed by the report */
    snprintf(path, sizeof path, "%s/accuracy_size_mitdb-aami.svg", out);
    char *svg = test_read_file(path);
    CHECK(svg && strstr(svg, ">efficientecg-s f32<"), "%s: no label 'efficientecg-s f32'", path);
    free(svg);

    char *bad[] = {"report", "--runs", "/nonexistent/runs", "--out", out};
    CHECK(ecg_cmd_report(5, bad) == 1, "a missing run folder");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) fputs(text, f), fclose(f);
}

/* report --latency reads batch, threads and iterations as whole numbers: an empty batch (NaN,
 * whose cast to int was undefined), "0x10" (strtod read 16), 1e300 threads or "nan" iterations
 * are refused naming the line; a good file attaches its figures to the run. */
static void test_latency_batch_nan(void) {
    static const char *const cells[][3] = {{"1", "2", "6"},   {"", "1", "6"},    {"0x10", "1", "6"},
                                           {"1", "1e300", "6"}, {"1", "1", "nan"}, {"1.5", "1", "6"}};
    char path[128], err[512];
    snprintf(path, sizeof path, "/tmp/ecg_test_latency_%ld.csv", (long)getpid());
    for (size_t i = 0; i < sizeof cells / sizeof *cells; i++) {
        FILE *f = fopen(path, "w");
        CHECK(f != NULL, "cannot write %s", path);
        if (!f) return;
        fprintf(f, "run,executor,batch,threads,median_us,iterations\nother,ecgbench-xnnpack,1,1,5,3\n"
                   "r1,ecgbench-xnnpack,%s,%s,250,%s\n", cells[i][0], cells[i][1], cells[i][2]);
        fclose(f);
        ecg_report_latency_files lf = {.n = 1};
        CHECK(ecg_csv_read(path, &lf.t[0], err, sizeof err) == 0, "%s", err);
        ecg_report_row row;
        memset(&row, 0, sizeof row);
        snprintf(row.run_name, sizeof row.run_name, "r1");
        err[0] = 0;
        int rc = ecg_report_attach_latency(&lf, &row, 1, err, sizeof err);
        if (i == 0)
            CHECK(rc == 0 && row.n_lat == 1 && row.lat[0].batch == 1 && row.lat[0].threads == 2 &&
                      row.lat[0].iterations == 6 && row.lat[0].median_us == 250,
                  "good file: %d %s", rc, err);
        else
            CHECK(rc == -1 && strstr(err, "line 3") && strstr(err, "whole numbers"), "case %zu (%s, %s, %s): %d '%s'", i,
                  cells[i][0], cells[i][1], cells[i][2], rc, err);
        ecg_csv_table_free(&lf.t[0]);
    }
    unlink(path);
}

/* Two results files: matched rows get A, B and B/A; unmatched rows are named; bad files are errors. */
static void test_compare(void) {
    char a[] = "/tmp/ecg_cmp_a_XXXXXX", b[] = "/tmp/ecg_cmp_b_XXXXXX";
    close(mkstemp(a)), close(mkstemp(b));
    write_file(a, "dataset,split,model,variant,batch,threads,accuracy,latency_median_us\n"
                  "mitdb-aami,test,lstm,f32,1,1,0.9,200\n"
                  "mitdb-aami,test,resnet1d,f32,1,1,0.8,1000\n");
    write_file(b, "model,dataset,split,variant,threads,batch,latency_median_us,accuracy\n" /* other column order */
                  "lstm,mitdb-aami,test,f32,1,1,50,0.9\n"
                  "efficientecg-s,mitdb-aami,test,f32,1,1,80,0.85\n");
    char *argv[] = {"compare", a, b};
    int rc;
    char *out = test_capture_stdout(ecg_cmd_compare, 3, argv, &rc);
    CHECK(rc == 0 && out, "compare failed");
    if (out) {
        CHECK(strstr(out, "== accuracy (per run)\nrun                   A   B     B/A\nmitdb-aami lstm f32 0.9 0.9   1.000\n"),
              "accuracy section:\n%s", out);
        CHECK(strstr(out, "\nmitdb-aami lstm f32 b1 t1 200  50   0.250\n"), "latency row:\n%s", out);
        CHECK(strstr(out, "only in A: mitdb-aami resnet1d f32 b1 t1"), "unmatched A row:\n%s", out);
        CHECK(strstr(out, "only in B: mitdb-aami efficientecg-s f32 b1 t1"), "unmatched B row:\n%s", out);
        CHECK(strstr(out, "1 rows matched"), "count:\n%s", out);
    }
    free(out);
    write_file(b, "dataset,model\nx,1,2\n");
    CHECK(ecg_cmd_compare(3, argv) == 1, "a ragged CSV");
    write_file(b, "a,b\n1,2\n");
    CHECK(ecg_cmd_compare(3, argv) == 1, "not a results file");
    char *one[] = {"compare", a};
    CHECK(ecg_cmd_compare(2, one) == 2, "one file");
    unlink(a), unlink(b);
}

/* compare with stderr captured into a string (free it); the exit code in *rc. */
static char *compare_stderr(char **argv, int *rc) {
    char path[] = "/tmp/ecg_cmp_err_XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    fflush(stderr);
    dup2(fd, 2);
    char *out = test_capture_stdout(ecg_cmd_compare, 3, argv, rc);
    fflush(stderr);
    dup2(saved, 2);
    close(saved), close(fd);
    free(out);
    char *said = test_read_file(path);
    unlink(path);
    return said;
}

/* compare checks the run.json beside each results.csv: a results.csv changed after its report
 * (one row's accuracy edited) is refused naming the file; a side with no run.json is compared
 * with a warning; a run.json that is not JSON is an error. Before, compare read run.json for the
 * commit and CPU alone and compared an edited file as the report's. */
static void test_compare_edited_results_csv(void) {
    char dir[] = "/tmp/ecg_cmp_run_XXXXXX", a[300], b[300], json[300], err[512];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(a, sizeof a, "%s/A", dir), snprintf(b, sizeof b, "%s/B", dir);
    CHECK(ecg_mkdir_p(a, err, sizeof err) == 0 && ecg_mkdir_p(b, err, sizeof err) == 0, "%s", err);
    snprintf(json, sizeof json, "%s/run.json", a);
    snprintf(a + strlen(a), sizeof a - strlen(a), "/results.csv");
    snprintf(b + strlen(b), sizeof b - strlen(b), "/results.csv");
    const char *rows = "dataset,split,model,variant,accuracy\nmitdb-aami,test,lstm,f32,0.9\n";
    write_file(a, rows), write_file(b, rows);
    cJSON *run = cJSON_CreateObject();
    cJSON_AddStringToObject(run, "git_commit", "abc123");
    const char *files[] = {"results.csv"};
    char adir[300];
    snprintf(adir, sizeof adir, "%s/A", dir);
    CHECK(ecg_manifest_add_files(run, adir, files, 1, err, sizeof err) == 0 &&
              ecg_write_json(json, run, err, sizeof err) == 0,
          "%s", err);
    cJSON_Delete(run);
    char *argv[] = {"compare", a, b};
    int rc;
    char *said = compare_stderr(argv, &rc);
    CHECK(rc == 0 && said && strstr(said, "warning: no run.json beside") && strstr(said, "/B/results.csv") &&
              !strstr(said, "/A/results.csv"),
          "the vouched-for side and the side without run.json: %d '%s'", rc, said ? said : "");
    free(said);
    write_file(a, "dataset,split,model,variant,accuracy\nmitdb-aami,test,lstm,f32,0.99\n");
    said = compare_stderr(argv, &rc);
    CHECK(rc == 1 && said && strstr(said, "results.csv") && strstr(said, "not the file its report wrote"),
          "an edited results.csv was compared: %d '%s'", rc, said ? said : "");
    free(said);
    write_file(json, "{\"files\": ");
    said = compare_stderr(argv, &rc);
    CHECK(rc == 1 && said && strstr(said, "run.json"), "a broken run.json: %d '%s'", rc, said ? said : "");
    free(said);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

int main(void) {
    RUN(test_compare);
    RUN(test_compare_edited_results_csv);
    RUN(test_latency_batch_nan);
    RUN(test_metrics_print_dash);
    RUN(test_degenerate_runs_off_the_front);
    RUN(test_two_lead_table);
    RUN(test_report_on_the_sample);
    return test_done();
}

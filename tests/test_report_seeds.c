/* Seeds in `ecgbench report` (report/report_seeds.c, report/report_ablation.c): further seeds are
 * found under models/seeds/RUN/seedN and evaluated, the CSVs keep one row per seed, results_by_run.csv
 * and the tables hold mean and sample sd over seeds (checked here against figures this test computes
 * from the per-seed rows), and the fusion ablation's paired t-test agrees with a textbook example
 * and with a p this test integrates from the t density itself. */
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
#include "ops/rng.h"
#include "ops/safetensors.h"

/* ---------------------------------------------------------------- independent statistics */
static void mean_sd(const double *v, int n, double *mean, double *sd) {
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) s += v[i];
    *mean = s / n;
    for (int i = 0; i < n; i++) ss += (v[i] - *mean) * (v[i] - *mean);
    *sd = n > 1 ? sqrt(ss / (n - 1)) : NAN;
}

/* Two-sided p of Student's t with nu degrees of freedom: 1 - 2 * the integral of its density from
 * 0 to |t| (Simpson's rule), with no library's distribution function. */
static double two_sided_p(double t, int nu) {
    double c = exp(lgamma((nu + 1) / 2.0) - lgamma(nu / 2.0)) / sqrt(nu * M_PI), a = fabs(t), sum = 0;
    int steps = 200000;
    double h = a / steps;
    for (int i = 0; i <= steps; i++) {
        double x = i * h, f = c * pow(1 + x * x / nu, -(nu + 1) / 2.0);
        sum += f * (i == 0 || i == steps ? 1 : i % 2 ? 4 : 2);
    }
    return 1 - 2 * sum * h / 3;
}

/* Student's sleep data (Cushny and Peebles 1905, R's `sleep`): extra hours of sleep of 10 patients
 * on two drugs. The paired t-test every textbook and R's t.test(paired = TRUE) print: t = -4.0621,
 * df = 9, p = 0.002833. */
static void test_paired_t_textbook(void) {
    static const double drug1[] = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
    static const double drug2[] = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};
    ecg_report_paired p = ecg_report_paired_t(drug2, drug1, 10); /* drug1 - drug2, as R's t.test(x = drug1, y = drug2) */
    CHECK(p.k == 10, "%d pairs", p.k);
    CHECK(fabs(p.t - -4.0621) < 5e-5, "t = %.5f, the textbook's -4.0621", p.t);
    CHECK(fabs(p.p - 0.002833) < 5e-7, "p = %.7f, the textbook's 0.002833", p.p);
    CHECK(fabs(p.p - two_sided_p(p.t, 9)) < 1e-7, "p = %.8f, integrated: %.8f", p.p, two_sided_p(p.t, 9));
    double d[10], mean, sd;
    for (int i = 0; i < 10; i++) d[i] = drug1[i] - drug2[i];
    mean_sd(d, 10, &mean, &sd);
    CHECK(fabs(p.mean_diff - mean) < 1e-12 && fabs(p.sd_diff - sd) < 1e-12, "mean %g sd %g, computed %g %g",
          p.mean_diff, p.sd_diff, mean, sd);
    CHECK(fabs(p.t - mean / (sd / sqrt(10))) < 1e-9, "t %g", p.t);
    /* fewer than 3 pairs: not tested */
    ecg_report_paired two = ecg_report_paired_t(drug2, drug1, 2);
    CHECK(two.k == 2 && isnan(two.t) && isnan(two.p) && isfinite(two.mean_diff), "2 pairs: k %d t %g p %g", two.k,
          two.t, two.p);
    /* a pair with an undefined figure (NaN) is no pair */
    double a[] = {1, 2, NAN, 4}, b[] = {2, 3.5, 5, 4.5};
    ecg_report_paired nan_pair = ecg_report_paired_t(a, b, 4);
    CHECK(nan_pair.k == 3 && fabs(nan_pair.mean_diff - 1) < 1e-12, "k %d mean %g", nan_pair.k, nan_pair.mean_diff);
    /* sd over one value is undefined, not 0 */
    ecg_report_stat one = ecg_report_stat_of(drug1, 1);
    CHECK(one.n == 1 && one.mean == drug1[0] && isnan(one.sd), "one value: n %d sd %g", one.n, one.sd);
}

/* ---------------------------------------------------------------- the ablation on made-up seeds */
static void made_up_seed(ecg_report_row *r, ecg_run *run, const char *model, const char *task, int seed,
                         const long conf[5][5]) {
    static const char *const names[] = {"N", "S", "V", "F", "Q"};
    memset(run, 0, sizeof *run);
    memset(r, 0, sizeof *r);
    run->model = model, run->task = task, run->variant = "f32";
    snprintf(run->dir, sizeof run->dir, "runs/%s-%s", model, task);
    r->run = run;
    r->task = ecg_task_find(task);
    snprintf(r->run_name, sizeof r->run_name, "%s-%s", model, task);
    snprintf(r->split, sizeof r->split, "test");
    snprintf(r->data_version, sizeof r->data_version, "made up");
    r->seed = seed, r->extra_seed = seed > 1;
    ecg_metrics_init(&r->m, 5);
    for (int t = 0; t < 5; t++)
        for (int p = 0; p < 5; p++) r->m.confusion[t][p] = conf[t][p], r->m.n += conf[t][p];
    ecg_metrics_finish(&r->m);
    for (int c = 0; c < 5; c++) snprintf(r->class_names[c], sizeof r->class_names[c], "%s", names[c]);
    r->size_bytes = 1000, r->torch_eager_us = r->torch_script_us = NAN, r->score = NAN;
    ecg_report_judge(r);
}

/* A confusion matrix whose S row finds s_hits of 50 S beats and N row keeps n_ok of 900 N beats. */
static void confusion(long c[5][5], int n_ok, int s_hits) {
    memset(c, 0, sizeof(long) * 25);
    c[0][0] = n_ok, c[0][1] = 900 - n_ok;
    c[1][1] = s_hits, c[1][0] = 50 - s_hits;
    c[2][2] = 40, c[2][0] = 10;
    c[3][3] = 3, c[3][0] = 2;
    c[4][4] = 4, c[4][0] = 1;
}

/* The markdown row of tables.md whose first cells are a and b, split into trimmed cells. */
static int md_row(char *md, const char *section, const char *first, char cells[20][64]) {
    char *s = strstr(md, section);
    if (!s) return 0;
    char *end = strstr(s + 1, "\n## ");
    for (char *line = strstr(s, "\n| "); line && (!end || line < end); line = strstr(line + 1, "\n| ")) {
        char buf[2048];
        size_t len = strcspn(line + 1, "\n");
        snprintf(buf, sizeof buf, "%.*s", (int)len, line + 1);
        int k = 0;
        for (char *save, *c = strtok_r(buf, "|", &save); c && k < 20; c = strtok_r(NULL, "|", &save)) {
            while (*c == ' ') c++;
            char *e = c + strlen(c);
            while (e > c && e[-1] == ' ') *--e = 0;
            snprintf(cells[k++], 64, "%s", c);
        }
        if (k && !strcmp(cells[0], first)) return k;
    }
    return 0;
}

static void test_ablation_paired_over_seeds(void) {
    /* fusion-none: seeds 1-3; age-sex: seeds 1-3 (3 pairs); RR: seeds 1 and 3 (2 pairs); the second
     * lead (fusion-none on the two-lead task): seeds 1 and 2 */
    static const char *const two = "mitdb-aami-2lead";
    static const struct {
        const char *model, *task;
        int seed, n_ok, s_hits;
    } spec[] = {{"efficientecg-fusion-none", NULL, 1, 850, 20},   {"efficientecg-fusion-none", NULL, 2, 860, 24},
                {"efficientecg-fusion-none", NULL, 3, 840, 17},   {"efficientecg-fusion-agesex", NULL, 1, 855, 26},
                {"efficientecg-fusion-agesex", NULL, 2, 858, 31}, {"efficientecg-fusion-agesex", NULL, 3, 842, 25},
                {"efficientecg-fusion-rr", NULL, 1, 870, 40},     {"efficientecg-fusion-rr", NULL, 3, 865, 44},
                {"efficientecg-fusion-none", two, 1, 880, 30},    {"efficientecg-fusion-none", two, 2, 890, 36}};
    enum { N = sizeof spec / sizeof *spec };
    ecg_run runs[N];
    ecg_report_row rows[N];
    long c[5][5];
    /* seed-1 rows first, as the report orders them */
    int order[N], k = 0;
    for (int i = 0; i < N; i++)
        if (spec[i].seed == 1) order[k++] = i;
    for (int i = 0; i < N; i++)
        if (spec[i].seed != 1) order[k++] = i;
    for (int j = 0; j < N; j++) {
        int i = order[j];
        confusion(c, spec[i].n_ok, spec[i].s_hits);
        made_up_seed(&rows[j], &runs[j], spec[i].model, spec[i].task ? spec[i].task : "mitdb-aami", spec[i].seed, c);
    }
    char dir[] = "/tmp/ecgbench_ablation_XXXXXX", err[256], path[160];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    CHECK(ecg_report_write_tables(dir, rows, N, 0, 0, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_report_write_ablation(dir, rows, N, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/tables.md", dir);
    char *md = test_read_file(path);
    CHECK(md != NULL, "no tables.md");
    if (!md) return;
    CHECK(strstr(md, "paired t-test over the seeds both runs have"), "the caption does not state the test");

    /* age-sex against the backbone: S sensitivity, each seed's own figure (s_hits / 50) */
    double none_s[3], agesex_s[3], none_acc[3], agesex_acc[3], d[3], mean, sd;
    for (int s = 0; s < 3; s++) {
        none_s[s] = spec[s].s_hits / 50.0, agesex_s[s] = spec[3 + s].s_hits / 50.0;
        none_acc[s] = (spec[s].n_ok + spec[s].s_hits + 40 + 3 + 4) / 1000.0;
        agesex_acc[s] = (spec[3 + s].n_ok + spec[3 + s].s_hits + 40 + 3 + 4) / 1000.0;
        d[s] = agesex_s[s] - none_s[s];
    }
    mean_sd(d, 3, &mean, &sd);
    double t = mean / (sd / sqrt(3)), p = two_sided_p(t, 2);
    char cells[20][64], want[64];
    int n = md_row(md, "## Fusion ablation: each variant", "age, sex", cells);
    CHECK(n == 11, "the age, sex row has %d cells", n);
    snprintf(want, sizeof want, "%+.1f", 100 * mean);
    CHECK(n == 11 && !strcmp(cells[7], want), "S Se diff %s, computed %s", cells[7], want);
    snprintf(want, sizeof want, p < 0.05 ? "%.3f *" : "%.3f", p);
    CHECK(n == 11 && !strcmp(cells[8], want), "S Se p %s, computed %s (t %g)", cells[8], want, t);
    CHECK(n == 11 && !strcmp(cells[2], "3"), "paired seeds %s", cells[2]);
    for (int s = 0; s < 3; s++) d[s] = agesex_acc[s] - none_acc[s];
    mean_sd(d, 3, &mean, &sd);
    snprintf(want, sizeof want, "%+.1f", 100 * mean);
    CHECK(n == 11 && !strcmp(cells[3], want), "accuracy diff %s, computed %s", cells[3], want);
    snprintf(want, sizeof want, two_sided_p(mean / (sd / sqrt(3)), 2) < 0.05 ? "%.3f *" : "%.3f",
             two_sided_p(mean / (sd / sqrt(3)), 2));
    CHECK(n == 11 && !strcmp(cells[4], want), "accuracy p %s, computed %s", cells[4], want);

    /* RR shares 2 seeds with the backbone: a difference, no test */
    n = md_row(md, "## Fusion ablation: each variant", "RR intervals", cells);
    CHECK(n == 11 && !strcmp(cells[2], "2") && !strcmp(cells[4], "n < 3, not tested") &&
              !strcmp(cells[8], "n < 3, not tested"),
          "RR row: %s | %s | %s", n ? cells[2] : "", n ? cells[4] : "", n ? cells[8] : "");
    snprintf(want, sizeof want, "%+.1f", 100 * ((44 / 50.0 - 17 / 50.0) + (40 / 50.0 - 20 / 50.0)) / 2);
    CHECK(n == 11 && !strcmp(cells[7], want), "RR S Se diff %s over seeds 1 and 3, computed %s", cells[7], want);

    /* the second lead is the backbone on the two-lead task, paired with the one-lead backbone by seed */
    n = md_row(md, "## Fusion ablation: each variant", "second lead", cells);
    snprintf(want, sizeof want, "%+.1f", 100 * ((30 / 50.0 - 20 / 50.0) + (36 / 50.0 - 24 / 50.0)) / 2);
    CHECK(n == 11 && !strcmp(cells[1], "efficientecg-fusion-none on mitdb-aami-2lead") && !strcmp(cells[2], "2") &&
              !strcmp(cells[7], want),
          "second lead row: %s | %s | %s (S Se diff computed %s)", n ? cells[1] : "", n ? cells[2] : "",
          n ? cells[7] : "", want);

    /* the ablation's own table: mean +- sd over seeds with the seeds counted */
    n = md_row(md, "## Fusion ablation on MIT-BIH", "none (backbone only)", cells);
    mean_sd(none_s, 3, &mean, &sd);
    snprintf(want, sizeof want, "%.1f \u00b1 %.1f", 100 * mean, 100 * sd);
    CHECK(n == 10 && !strcmp(cells[2], "3") && !strcmp(cells[5], want), "backbone: seeds %s, S Se %s (computed %s)",
          n ? cells[2] : "", n ? cells[5] : "", want);
    n = md_row(md, "## MIT-BIH arrhythmia, inter-patient", "efficientecg-fusion-rr", cells);
    CHECK(n == 17 && !strcmp(cells[1], "2") && !strcmp(cells[16], "-"), "inter-patient table: RR over %s seeds", n ? cells[1] : "");
    free(md);
    /* tables.tex says the same: the test in the caption, the marks and "n < 3" as LaTeX prints them */
    snprintf(path, sizeof path, "%s/tables.tex", dir);
    char *tex = test_read_file(path);
    CHECK(tex && strstr(tex, "paired t-test over the seeds both runs have") && strstr(tex, "n $<$ 3, not tested") &&
              strstr(tex, " $\\pm$ ") && strstr(tex, "* p $<$ 0.05"),
          "tables.tex lacks the test's caption, n < 3, the plus-minus or the significance mark");
    free(tex);

    /* ablation.csv: the same test with t, for every figure */
    ecg_csv_table a;
    snprintf(path, sizeof path, "%s/ablation.csv", dir);
    CHECK(ecg_csv_read(path, &a, err, sizeof err) == 0, "%s", err);
    int model = ecg_csv_col(&a, "model"), fig = ecg_csv_col(&a, "figure"), cls = ecg_csv_col(&a, "class"),
        tc = ecg_csv_col(&a, "t"), tested = ecg_csv_col(&a, "tested"), found = 0;
    CHECK(model >= 0 && fig >= 0 && cls >= 0 && tc >= 0 && tested >= 0, "ablation.csv columns");
    for (int r = 1; model >= 0 && fig >= 0 && cls >= 0 && tc >= 0 && tested >= 0 && r < a.n_rows; r++) {
        if (!strcmp(a.rows[r][model], "efficientecg-fusion-agesex") && !strcmp(a.rows[r][fig], "sensitivity") &&
            !strcmp(a.rows[r][cls], "S")) {
            found++;
            CHECK(fabs(atof(a.rows[r][tc]) - t) < 1e-4 * fabs(t), "t %s, computed %g", a.rows[r][tc], t);
        }
        if (!strcmp(a.rows[r][model], "efficientecg-fusion-rr"))
            CHECK(!strcmp(a.rows[r][tested], "0") && !a.rows[r][tc][0], "RR: tested %s t '%s'", a.rows[r][tested],
                  a.rows[r][tc]);
    }
    CHECK(found == 1, "%d age-sex S sensitivity rows", found);
    ecg_csv_table_free(&a);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

/* ---------------------------------------------------------------- seeds found and evaluated */
/* A further seed of src in dir: its manifest with seed s, and its weights (perturbed by scale, so
 * that seeds score differently; NULL weights: none, as a large run's seed commits). */
static void make_seed(const char *src, const char *dir, int s, double scale, const char *model_override) {
    char cmd[2400], err[256], path[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s/manifest.json %s/epochs.csv %s/", dir, src, src, dir);
    CHECK(system(cmd) == 0, "%s", cmd);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    cJSON *man = ecg_read_json(path, err, sizeof err);
    CHECK(man != NULL, "%s", err);
    if (!man) return;
    cJSON_ReplaceItemInObjectCaseSensitive(man, "seed", cJSON_CreateNumber(s));
    cJSON_DeleteItemFromObjectCaseSensitive(man, "files"); /* its weights are made below: a run without the hashes */
    if (model_override) cJSON_ReplaceItemInObjectCaseSensitive(man, "model", cJSON_CreateString(model_override));
    CHECK(ecg_write_json(path, man, err, sizeof err) == 0, "%s", err);
    cJSON_Delete(man);
    if (scale <= 0) return;
    ecg_run run;
    ecg_run_model m;
    CHECK(ecg_run_read(src, &run, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_run_open(&run, &m, err, sizeof err) == 0, "%s", err);
    ecg_rng r = {(uint64_t)s};
    for (int i = 0; i < m.g.n_params; i++) {
        ecg_param *p = &m.g.params[i];
        if (!p->trainable) continue;
        for (int64_t k = 0; k < ecg_shape_numel(&p->shape); k++) p->data[k] *= 1.0f + (float)scale * ecg_rng_normal(&r);
    }
    snprintf(path, sizeof path, "%s/weights.safetensors", dir);
    CHECK(ecg_safetensors_save(&m.g, path, NULL, 0, err, sizeof err) == 0, "%s", err);
    ecg_run_model_free(&m);
    ecg_run_free(&run);
}

/* Column values of the rows of a CSV whose column key equals value. */
static int column_where(const ecg_csv_table *t, const char *col, const char *key, const char *value, const char *key2,
                        const char *value2, double *out, int max) {
    int c = ecg_csv_col(t, col), k = ecg_csv_col(t, key), k2 = key2 ? ecg_csv_col(t, key2) : -1, n = 0;
    for (int r = 1; c >= 0 && k >= 0 && r < t->n_rows && n < max; r++)
        if (!strcmp(t->rows[r][k], value) && (!key2 || (k2 >= 0 && !strcmp(t->rows[r][k2], value2))))
            out[n++] = atof(t->rows[r][c]);
    return n;
}

/* The size of copy_lstm_run's path buffers. */
#define TREE_PATH 1200

/* A scratch tree in dir for a report: DIR/models/weights (weights) holding a copy of the committed
 * lstm-mitdb-aami run (src), DIR/out for the report (out), and a data cache of its own. */
static void copy_lstm_run(const char *dir, char weights[TREE_PATH], char src[TREE_PATH], char out[TREE_PATH]) {
    char cwd[1024], cmd[2400], cache[1200];
    CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
    snprintf(weights, TREE_PATH, "%s/models/weights", dir);
    snprintf(src, TREE_PATH, "%s/lstm-mitdb-aami", weights);
    snprintf(out, TREE_PATH, "%s/out", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp -r %s/models/weights/lstm-mitdb-aami %s/", weights, cwd, weights);
    CHECK(system(cmd) == 0, "%s", cmd);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
}

static void test_seeds_on_the_sample(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE") || !test_need_file("models/weights/lstm-mitdb-aami/manifest.json"))
        return;
    char dir[] = "/tmp/ecgbench_seeds_XXXXXX", cmd[2400], src[TREE_PATH], weights[TREE_PATH], seeds[1200], out[TREE_PATH],
        path[1400], err[256];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    copy_lstm_run(dir, weights, src, out);
    snprintf(seeds, sizeof seeds, "%s/models/seeds/lstm-mitdb-aami", dir);
    if (!getenv("ECGBENCH")) setenv("ECGBENCH", "build/asan/ecgbench", 1);
    snprintf(path, sizeof path, "%s/seed2", seeds);
    make_seed(src, path, 2, 0.15, NULL);
    snprintf(path, sizeof path, "%s/seed3", seeds);
    make_seed(src, path, 3, 0.3, NULL);
    snprintf(path, sizeof path, "%s/seed4", seeds); /* a large run's seed: no weights; left out on the sample */
    make_seed(src, path, 4, 0, NULL);
    snprintf(path, sizeof path, "%s/notes", seeds); /* not a seed folder */
    snprintf(cmd, sizeof cmd, "mkdir -p %s", path);
    CHECK(system(cmd) == 0, "%s", cmd);

    /* the recipe's selection log (`ecgbench select`): 3 candidates over 2 seeds (a row each), the
     * second chosen on validation data */
    snprintf(path, sizeof path, "%s/selection.csv", src);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (f) {
        fputs("candidate,seed,val_score,chosen,chosen_on\n"
              "A,1,0.5,0,\"mitdb-aami val split (518 examples; records 101 106; seed 1)\"\n"
              "A,2,0.5,0,\"mitdb-aami val split (518 examples; records 108 109; seed 2)\"\n"
              "B,1,0.6,1,\"mitdb-aami val split (518 examples; records 101 106; seed 1)\"\n"
              "B,2,0.6,1,\"mitdb-aami val split (518 examples; records 108 109; seed 2)\"\n"
              "C,1,0.4,0,\"mitdb-aami val split (518 examples; records 101 106; seed 1)\"\n"
              "C,2,0.4,0,\"mitdb-aami val split (518 examples; records 108 109; seed 2)\"\n", f);
        fclose(f);
    }
    char *report[] = {"report", "--runs", weights, "--data", "datasets/sample", "--out", out, "--layer-reps", "21"};
    int rc;
    char *said = test_capture_stdout(ecg_cmd_report, 9, report, &rc);
    CHECK(rc == 0 && said && strstr(said, "1 runs and 2 further seeds (some left out"), "report: %s", said ? said : "");
    free(said);

    ecg_csv_table res, pc, by;
    snprintf(path, sizeof path, "%s/results.csv", out);
    CHECK(ecg_csv_read(path, &res, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/per_class.csv", out);
    CHECK(ecg_csv_read(path, &pc, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/results_by_run.csv", out);
    CHECK(ecg_csv_read(path, &by, err, sizeof err) == 0, "%s", err);
    double seed_no[8], acc[8], se[8], rss[8], mean, sd, got[2];
    int n = column_where(&res, "seed", "run", "lstm-mitdb-aami", NULL, NULL, seed_no, 8);
    CHECK(n == 3 && seed_no[0] == 1 && seed_no[1] == 2 && seed_no[2] == 3, "seeds in results.csv: %d rows", n);
    CHECK(column_where(&res, "accuracy", "run", "lstm-mitdb-aami", NULL, NULL, acc, 8) == 3, "accuracy rows");
    CHECK(acc[0] != acc[1] || acc[1] != acc[2], "the perturbed seeds score alike (%g %g %g): a weak test", acc[0],
          acc[1], acc[2]);
    int c_rss = ecg_csv_col(&res, "peak_rss_kb");
    CHECK(c_rss >= 0 && res.n_rows == 4 && atof(res.rows[1][c_rss]) > 1000 && !res.rows[2][c_rss][0] &&
              !res.rows[3][c_rss][0],
          "peak RSS measured for seed 1 only");
    (void)rss;
    mean_sd(acc, 3, &mean, &sd);
    CHECK(column_where(&by, "mean", "figure", "accuracy", NULL, NULL, got, 1) == 1 &&
              column_where(&by, "sd", "figure", "accuracy", NULL, NULL, got + 1, 1) == 1,
          "no accuracy row in results_by_run.csv");
    CHECK(fabs(got[0] - mean) < 1e-5 && fabs(got[1] - sd) < 1e-5 * fmax(1, sd), "accuracy %g +- %g, computed %g +- %g",
          got[0], got[1], mean, sd);
    CHECK(column_where(&pc, "sensitivity", "run", "lstm-mitdb-aami", "class", "N", se, 8) == 3, "N rows of per_class.csv");
    double se_mean, se_sd;
    mean_sd(se, 3, &se_mean, &se_sd);
    CHECK(column_where(&by, "mean", "figure", "sensitivity", "class", "N", got, 1) == 1 &&
              column_where(&by, "sd", "figure", "sensitivity", "class", "N", got + 1, 1) == 1 &&
              fabs(got[0] - se_mean) < 1e-5 && fabs(got[1] - se_sd) < 1e-5,
          "N sensitivity %g +- %g, computed %g +- %g", got[0], got[1], se_mean, se_sd);
    int c_n = ecg_csv_col(&by, "n_seeds"), c_s = ecg_csv_col(&by, "seeds");
    CHECK(c_n >= 0 && c_s >= 0 && by.n_rows > 1 && !strcmp(by.rows[1][c_n], "3") && !strcmp(by.rows[1][c_s], "1 2 3"),
          "results_by_run.csv: n_seeds, seeds");

    /* tables.md: the inter-patient row over 3 seeds, as this test computes it */
    snprintf(path, sizeof path, "%s/tables.md", out);
    char *md = test_read_file(path), cells[20][64], want[64];
    int k = md ? md_row(md, "## MIT-BIH arrhythmia, inter-patient", "lstm", cells) : 0;
    if (!k && md) k = md_row(md, "## MIT-BIH arrhythmia, inter-patient", "lstm (degenerate)", cells);
    snprintf(want, sizeof want, "%.1f \u00b1 %.1f", 100 * mean, 100 * sd);
    CHECK(k == 17 && !strcmp(cells[1], "3") && !strcmp(cells[2], want), "lstm row: seeds %s, accuracy %s (computed %s)",
          k ? cells[1] : "", k ? cells[2] : "", want);
    snprintf(want, sizeof want, "%.1f \u00b1 %.1f", 100 * se_mean, 100 * se_sd);
    CHECK(k == 17 && !strcmp(cells[4], want), "N Se %s, computed %s", k ? cells[4] : "", want);
    CHECK(k == 17 && !strcmp(cells[16], "val split (3 candidates x 2 seeds)"), "chosen on: %s", k ? cells[16] : "");
    free(md);
    ecg_csv_table_free(&res);
    ecg_csv_table_free(&pc);
    ecg_csv_table_free(&by);

    /* the plot puts the run at its mean with an error bar */
    snprintf(path, sizeof path, "%s/accuracy_size_mitdb-aami.labels.gp", out);
    char *labels = test_read_file(path);
    char *pts = labels ? strstr(labels, "$points << EOD\n") : NULL;
    double x, ys, ysd, ya, yasd;
    CHECK(pts && sscanf(strchr(strchr(pts, '\n') + 1, '\n') + 1, "%lf,%lf,%lf,%lf,%lf", &x, &ys, &ysd, &ya, &yasd) == 5 &&
              fabs(ya - mean) < 1e-6 && fabs(yasd - sd) < 1e-6,
          "%s: no point at the mean accuracy %g +- %g", path, mean, sd);
    free(labels);
    snprintf(cmd, sizeof cmd, "gnuplot -e \"outdir='%s'; dataset='mitdb-aami'\" reports/accuracy.gp >/dev/null 2>&1", out);
    CHECK(system(cmd) == 0, "gnuplot failed: %s", cmd);
    snprintf(path, sizeof path, "%s/accuracy_size_mitdb-aami.svg", out);
    char *svg = test_read_file(path);
    CHECK(svg && strstr(svg, "error bar"), "%s does not explain its error bars", path);
    free(svg);

    /* --seeds none: seed 1 alone */
    char *no_seeds[] = {"report", "--runs", weights, "--data", "datasets/sample", "--out", out, "--layer-reps", "21",
                        "--seeds", "none", "--force"};
    said = test_capture_stdout(ecg_cmd_report, 12, no_seeds, &rc);
    CHECK(rc == 0 && said && strstr(said, "1 runs and 0 further seeds"), "--seeds none: %s", said ? said : "");
    free(said);
    /* The seed without weights (a large run's) counts with its manifest's test metrics on the full
     * data (on the sample it is left out, above): its row, beside seed 1's, in the tables. */
    ecg_run seed4;
    ecg_report_row mrows[2];
    snprintf(path, sizeof path, "%s/seed4", seeds);
    CHECK(ecg_run_read(path, &seed4, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_report_row_from_manifest(&seed4, "lstm-mitdb-aami", &mrows[1], err, sizeof err) == 0, "%s", err);
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(seed4.man, "metrics"), "test");
    const cJSON *pcl = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(test, "per_class"), 1);
    CHECK(mrows[1].from_manifest && mrows[1].seed == 4 &&
              fabs(mrows[1].m.accuracy - cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(test, "accuracy"))) < 1e-12 &&
              !strcmp(mrows[1].class_names[1], cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(pcl, "class"))) &&
              fabs(mrows[1].m.sensitivity[1] - cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(pcl, "sensitivity"))) < 1e-12,
          "seed 4 from its manifest: accuracy %g, class 1 %s", mrows[1].m.accuracy, mrows[1].class_names[1]);
    mrows[0] = mrows[1];
    mrows[0].seed = 1, mrows[0].extra_seed = mrows[0].from_manifest = 0;
    char mdir[1300];
    snprintf(mdir, sizeof mdir, "%s/manifest_out", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s", mdir);
    CHECK(system(cmd) == 0 && ecg_report_write_tables(mdir, mrows, 2, 0, 0, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/tables.md", mdir);
    md = test_read_file(path);
    k = md ? md_row(md, "## MIT-BIH arrhythmia, inter-patient", "lstm", cells) : 0;
    if (!k && md) k = md_row(md, "## MIT-BIH arrhythmia, inter-patient", "lstm (degenerate)", cells);
    CHECK(k == 17 && !strcmp(cells[1], "2 (1 m)"), "lstm row over %s seeds", k ? cells[1] : "");
    free(md);
    /* trained blind: no test metrics, nothing to show */
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(seed4.man, "metrics"), "test");
    CHECK(ecg_report_row_from_manifest(&seed4, "lstm-mitdb-aami", &mrows[1], err, sizeof err) == 1, "a blind seed");
    ecg_run_free(&seed4);

    /* a seed folder of another model is an error that names it */
    snprintf(path, sizeof path, "%s/seed5", seeds);
    make_seed(src, path, 5, 0, "bilstm");
    char *report_again[] = {"report", "--runs", weights, "--data", "datasets/sample", "--out", out, "--layer-reps", "21",
                            "--force"}; /* --force: refused for the seed, not for the finished report in out */
    CHECK(ecg_cmd_report(10, report_again) == 1, "a seed of another model");
    ecg_run run, *found;
    int n_found;
    CHECK(ecg_run_read(src, &run, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_report_find_seeds(&run, NULL, &found, &n_found, err, sizeof err) == -1 && strstr(err, "seed5") &&
              strstr(err, "bilstm"),
          "error: %s", err);
    snprintf(cmd, sizeof cmd, "rm -rf %s/seed5", seeds);
    CHECK(system(cmd) == 0, "%s", cmd);
    CHECK(ecg_report_find_seeds(&run, NULL, &found, &n_found, err, sizeof err) == 0 && n_found == 3 && found[0].seed == 2 &&
              found[2].seed == 4,
          "found %d seeds", n_found);
    if (n_found > 0) ecg_runs_free(found, n_found);
    ecg_run_free(&run);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (f) fputs(text, f), fclose(f);
}

/* `ecgbench compare` on two reports with seeds: a run's seeds are rows of one run told apart by
 * their seed column (not "the same row" twice), matched seed by seed. */
static void test_compare_seed_rows(void) {
    char a[] = "/tmp/ecg_seeds_a_XXXXXX", b[] = "/tmp/ecg_seeds_b_XXXXXX";
    close(mkstemp(a)), close(mkstemp(b));
    write_text(a, "dataset,split,model,variant,run,seed,batch,threads,accuracy\n"
                  "cinc2017,test,efficientecg-s,f32,efficientecg-s-cinc2017,1,,,0.8\n"
                  "cinc2017,test,efficientecg-s,f32,efficientecg-s-cinc2017,2,,,0.7\n");
    write_text(b, "dataset,split,model,variant,run,seed,batch,threads,accuracy\n"
                  "cinc2017,test,efficientecg-s,f32,efficientecg-s-cinc2017,2,,,0.35\n"
                  "cinc2017,test,efficientecg-s,f32,efficientecg-s-cinc2017,1,,,0.4\n");
    char *argv[] = {"compare", a, b};
    int rc;
    char *out = test_capture_stdout(ecg_cmd_compare, 3, argv, &rc);
    CHECK(rc == 0 && out && strstr(out, "(seed 1)") && strstr(out, "(seed 2)") && strstr(out, "2 rows matched"),
          "compare of seed rows (rc %d):\n%s", rc, out ? out : "");
    /* seed 1 with seed 1 (0.4 / 0.8), seed 2 with seed 2 (0.35 / 0.7): both ratios 0.5 */
    int halves = 0;
    for (const char *p = out ? strstr(out, "0.500") : NULL; p; p = strstr(p + 1, "0.500")) halves++;
    CHECK(halves == 2, "B/A of each seed should be 0.500:\n%s", out ? out : "");
    free(out);
    unlink(a), unlink(b);
}

/* `ecgbench results` (the README's block) over seeds: a run with a further seed whose test confusion
 * matrix moves 500 N beats to V shows "mean ± sd" of the two accuracies, computed here; its recipe
 * column says whether the recipe was chosen blind (the manifest's selection). */
/* Marks path's manifest as a decision-offsets variant of its run (as compress --offsets writes it). */
static void set_variant(const char *path, const char *variant) {
    char err[256];
    cJSON *man = ecg_read_json(path, err, sizeof err);
    CHECK(man != NULL, "%s", err);
    if (!man) return;
    cJSON_DeleteItemFromObjectCaseSensitive(man, "variant");
    cJSON_AddStringToObject(man, "variant", variant);
    cJSON *pass = cJSON_CreateObject();
    cJSON_AddStringToObject(pass, "pass", "decision_offsets");
    cJSON_AddStringToObject(pass, "fitted_on", "cross-validation folds");
    cJSON_DeleteItemFromObjectCaseSensitive(man, "passes");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(man, "passes"), pass);
    CHECK(ecg_write_json(path, man, err, sizeof err) == 0, "%s", err);
    cJSON_Delete(man);
}

/* Removes path's manifest "selection": the copied run then starts as one whose recipe was not chosen
 * blind, whatever the committed run's was (seed 2's copy drops it where it is edited below). */
static void drop_selection(const char *path) {
    char err[256];
    cJSON *man = ecg_read_json(path, err, sizeof err);
    CHECK(man != NULL, "%s", err);
    if (!man) return;
    cJSON_DeleteItemFromObjectCaseSensitive(man, "selection");
    CHECK(ecg_write_json(path, man, err, sizeof err) == 0, "%s", err);
    cJSON_Delete(man);
}

static void test_results_over_seeds(void) {
    if (!test_need_file("models/weights/lstm-mitdb-aami/manifest.json")) return;
    char dir[] = "/tmp/ecgbench_results_seeds_XXXXXX", cmd[512], path[256], err[256];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cmd, sizeof cmd, "mkdir -p %s/weights %s/seeds/lstm-mitdb-aami/seed2 && cp -r models/weights/lstm-mitdb-aami "
             "%s/weights/ && cp models/weights/lstm-mitdb-aami/manifest.json %s/seeds/lstm-mitdb-aami/seed2/",
             dir, dir, dir, dir);
    CHECK(system(cmd) == 0, "%s", cmd);
    snprintf(path, sizeof path, "%s/weights/lstm-mitdb-aami/manifest.json", dir);
    drop_selection(path);
    snprintf(path, sizeof path, "%s/seeds/lstm-mitdb-aami/seed2/manifest.json", dir);
    cJSON *man = ecg_read_json(path, err, sizeof err);
    CHECK(man != NULL, "%s", err);
    if (!man) return;
    cJSON_DeleteItemFromObjectCaseSensitive(man, "selection");
    cJSON_ReplaceItemInObjectCaseSensitive(man, "seed", cJSON_CreateNumber(2));
    cJSON *conf = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(man, "metrics"), "test"), "confusion");
    cJSON *row0 = cJSON_GetArrayItem(conf, 0);
    double n_n = cJSON_GetArrayItem(row0, 0)->valuedouble, n_v = cJSON_GetArrayItem(row0, 2)->valuedouble, total = 0,
           correct = 0;
    cJSON_ReplaceItemInArray(row0, 0, cJSON_CreateNumber(n_n - 500));
    cJSON_ReplaceItemInArray(row0, 2, cJSON_CreateNumber(n_v + 500));
    for (int i = 0; i < cJSON_GetArraySize(conf); i++)
        for (int j = 0; j < cJSON_GetArraySize(conf); j++) {
            double c = cJSON_GetArrayItem(cJSON_GetArrayItem(conf, i), j)->valuedouble;
            total += c, correct += i == j ? c : 0;
        }
    CHECK(ecg_write_json(path, man, err, sizeof err) == 0, "%s", err);
    cJSON_Delete(man);
    double acc[2] = {(correct + 500) / total, correct / total}, mean, sd;
    mean_sd(acc, 2, &mean, &sd);
    char want[96], weights[128];
    snprintf(want, sizeof want, "| lstm | 2 | 205445 | %.1f ± %.1f |", 100 * mean, 100 * sd);
    snprintf(weights, sizeof weights, "%s/weights", dir);
    char *argv[] = {"results", weights};
    int rc;
    char *got = test_capture_stdout(ecg_cmd_results, 2, argv, &rc);
    CHECK(rc == 0 && got && strstr(got, want), "want a row starting '%s' in:\n%s", want, got ? got : "(none)");
    CHECK(got && strstr(got, "| not blind |\n"), "a run without a selection log should read 'not blind':\n%s",
          got ? got : "(none)");
    free(got);

    /* the recipe column names a blind choice and its candidates, from seed 1's manifest */
    snprintf(path, sizeof path, "%s/weights/lstm-mitdb-aami/manifest.json", dir);
    man = ecg_read_json(path, err, sizeof err);
    CHECK(man != NULL, "%s", err);
    if (man) {
        cJSON *sel = cJSON_AddObjectToObject(man, "selection");
        cJSON_AddNumberToObject(sel, "candidates", 4);
        CHECK(ecg_write_json(path, man, err, sizeof err) == 0, "%s", err);
        cJSON_Delete(man);
    }
    got = test_capture_stdout(ecg_cmd_results, 2, argv, &rc);
    CHECK(rc == 0 && got && strstr(got, "| blind (4 candidates) |\n") && !strstr(got, "not blind"),
          "want the lstm row to end 'blind (4 candidates)':\n%s", got ? got : "(none)");
    free(got);
    /* ... and the folds that ranked them, when cross-validation did */
    man = ecg_read_json(path, err, sizeof err);
    CHECK(man != NULL, "%s", err);
    if (man) {
        cJSON_AddNumberToObject(cJSON_GetObjectItem(man, "selection"), "folds", 5);
        CHECK(ecg_write_json(path, man, err, sizeof err) == 0, "%s", err);
        cJSON_Delete(man);
    }
    got = test_capture_stdout(ecg_cmd_results, 2, argv, &rc);
    CHECK(rc == 0 && got && strstr(got, "| blind (4 candidates x 5 folds) |\n"),
          "want the lstm row to end 'blind (4 candidates x 5 folds)':\n%s", got ? got : "(none)");
    free(got);
    /* a decision-offsets variant (compress --offsets) keeps its seeds, training columns and recipe,
     * and a seed of another variant is not averaged with it */
    set_variant(path, "offsets");
    got = test_capture_stdout(ecg_cmd_results, 2, argv, &rc);
    CHECK(rc == 0 && got && strstr(got, "| lstm offsets | 1 |"), "a seed 2 of another variant was averaged:\n%s",
          got ? got : "(none)");
    free(got);
    snprintf(path, sizeof path, "%s/seeds/lstm-mitdb-aami/seed2/manifest.json", dir);
    set_variant(path, "offsets");
    got = test_capture_stdout(ecg_cmd_results, 2, argv, &rc);
    CHECK(rc == 0 && got && strstr(got, "| lstm offsets | 2 |") &&
              strstr(got, "| blind (4 candidates x 5 folds) + offsets fitted on its cross-validation folds |\n") && !strstr(got, "| - | - |"),
          "want an 'lstm offsets' row over 2 seeds with its epochs and recipe:\n%s", got ? got : "(none)");
    free(got);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

/* Sets path's manifest "config" key to the JSON text value (NULL: removes the key). */
static void set_config(const char *path, const char *key, const char *value) {
    char err[256];
    cJSON *man = ecg_read_json(path, err, sizeof err);
    CHECK(man != NULL, "%s", err);
    if (!man) return;
    cJSON *cfg = cJSON_GetObjectItemCaseSensitive(man, "config");
    cJSON_DeleteItemFromObjectCaseSensitive(cfg, key);
    if (value) cJSON_AddItemToObject(cfg, key, cJSON_Parse(value));
    CHECK(ecg_write_json(path, man, err, sizeof err) == 0, "%s", err);
    cJSON_Delete(man);
}

/* A seed trained with another recipe than seed 1 (train.sh keeps a seed that has a manifest, so a
 * recipe changed after seed 1 leaves it stale) is refused, naming the folder and the setting;
 * where the data sat and the frozen part's own run (each seed has its own) do not count. */
static void test_seed_of_another_recipe(void) {
    if (!test_need_file("models/weights/lstm-mitdb-aami/manifest.json")) return;
    char dir[] = "/tmp/ecgbench_recipe_XXXXXX", cmd[2400], src[1200], seed[1300], path[1400], one[1400], err[512];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(src, sizeof src, "%s/weights/lstm-mitdb-aami", dir);
    snprintf(seed, sizeof seed, "%s/seeds/lstm-mitdb-aami/seed2", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp models/weights/lstm-mitdb-aami/manifest.json "
             "models/weights/lstm-mitdb-aami/epochs.csv %s/", src, src);
    CHECK(system(cmd) == 0, "%s", cmd);
    make_seed(src, seed, 2, 0, NULL);
    snprintf(path, sizeof path, "%s/manifest.json", seed);
    snprintf(one, sizeof one, "%s/manifest.json", src);
    set_config(path, "data_dir", "\"/elsewhere/data\"");
    set_config(one, "init_from", "{\"run\": \"a\", \"model\": \"lstm-ae\", \"weights_sha256\": \"11\", \"frozen\": \"ae.\"}");
    set_config(path, "init_from", "{\"run\": \"b\", \"model\": \"lstm-ae\", \"weights_sha256\": \"22\", \"frozen\": \"ae.\"}");
    ecg_run run, *found = NULL;
    int n_found = 0;
    CHECK(ecg_run_read(src, &run, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_report_find_seeds(&run, NULL, &found, &n_found, err, sizeof err) == 0 && n_found == 1,
          "the same recipe elsewhere: %s", err);
    if (n_found > 0) ecg_runs_free(found, n_found);
    static const struct {
        const char *key, *value, *named;
    } other[] = {{"epochs", "99", "against 99"},
                 {"class_weights", "\"none\"", "class_weights"},
                 {"crop", "3000", "crop"},
                 {"init_from", "{\"run\": \"b\", \"model\": \"lstm-ae\", \"frozen\": \"enc.\"}", "init_from"}};
    for (int i = 0; i < (int)(sizeof other / sizeof other[0]); i++) {
        snprintf(cmd, sizeof cmd, "cp %s %s.keep", path, path);
        CHECK(system(cmd) == 0, "%s", cmd);
        set_config(path, other[i].key, other[i].value);
        err[0] = 0;
        CHECK(ecg_report_find_seeds(&run, NULL, &found, &n_found, err, sizeof err) == -1 && strstr(err, "seed2") &&
                  strstr(err, other[i].key) && strstr(err, other[i].named) && strstr(err, "another recipe"),
              "%s differs: %s", other[i].key, err);
        snprintf(cmd, sizeof cmd, "mv %s.keep %s", path, path);
        CHECK(system(cmd) == 0, "%s", cmd);
    }
    ecg_run_free(&run);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

/* A decision-offsets variant (`compress --offsets`) of a run and of its seed 2: the report reads
 * the variant's seeds too and shows it in the accuracy table beside its run ("lstm + offsets", over
 * 2 seeds, its recipe's log and where the offsets were fitted), not among the compressions. */
static void test_offsets_rows(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE") || !test_need_file("models/weights/lstm-mitdb-aami/manifest.json"))
        return;
    char dir[] = "/tmp/ecgbench_offsets_rows_XXXXXX", cmd[2400], src[TREE_PATH], weights[TREE_PATH], seed2[1200],
        file[1200], out[TREE_PATH], path[1400], err[256];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    copy_lstm_run(dir, weights, src, out);
    snprintf(seed2, sizeof seed2, "%s/models/seeds/lstm-mitdb-aami/seed2", dir);
    snprintf(file, sizeof file, "%s/offsets.json", dir);
    make_seed(src, seed2, 2, 0.15, NULL);
    /* the offsets file as `ecgbench offsets` writes it, for this recipe: S raised by 0.5 */
    snprintf(path, sizeof path, "%s/manifest.json", src);
    cJSON *man = ecg_read_json(path, err, sizeof err), *doc = cJSON_CreateObject();
    CHECK(man != NULL, "%s", err);
    if (!man) return;
    cJSON_AddStringToObject(doc, "model", "lstm");
    cJSON_AddStringToObject(doc, "task", "mitdb-aami");
    cJSON_AddItemToObject(doc, "config", cJSON_Duplicate(cJSON_GetObjectItem(man, "config"), 1));
    const char *names[] = {"N", "S", "V", "F", "Q"};
    const double off[] = {0, 0.5, 0, 0, 0};
    cJSON_AddItemToObject(doc, "classes", cJSON_CreateStringArray(names, 5));
    cJSON_AddItemToObject(doc, "offsets", cJSON_CreateDoubleArray(off, 5));
    cJSON_AddTrueToObject(doc, "applies");
    cJSON_AddStringToObject(doc, "fitted_on", "cross-validation folds");
    CHECK(ecg_write_json(file, doc, err, sizeof err) == 0, "%s", err);
    cJSON_Delete(doc), cJSON_Delete(man);
    char to[2][1300], *from[2] = {src, seed2};
    snprintf(to[0], sizeof to[0], "%s/lstm-mitdb-aami-offsets", weights);
    snprintf(to[1], sizeof to[1], "%s/models/seeds/lstm-mitdb-aami-offsets/seed2", dir);
    for (int k = 0; k < 2; k++) {
        char *cal[] = {"compress", from[k], "--offsets", file, "--out", to[k], "--threads", "1", "--quiet"};
        CHECK(ecg_cmd_compress(9, cal) == 0, "compress --offsets %s failed", from[k]);
    }
    snprintf(path, sizeof path, "%s/selection.csv", src);
    write_text(path, "candidate,seed,val_score,chosen,chosen_on\n"
                     "A,1,0.5,1,\"mitdb-aami val split (518 examples; records 101 106; seed 1)\"\n"
                     "B,1,0.4,0,\"mitdb-aami val split (518 examples; records 101 106; seed 1)\"\n");
    char *report[] = {"report", "--runs", weights, "--data", "datasets/sample", "--out", out, "--layer-reps", "21"};
    int rc;
    char *said = test_capture_stdout(ecg_cmd_report, 9, report, &rc);
    CHECK(rc == 0 && said && strstr(said, "2 runs and 2 further seeds"), "report: %s", said ? said : "");
    free(said);
    snprintf(path, sizeof path, "%s/tables.md", out);
    char *md = test_read_file(path), cells[20][64];
    const char *section = "## MIT-BIH arrhythmia, inter-patient";
    int k = md ? md_row(md, section, "lstm + offsets", cells) : 0;
    if (!k && md) k = md_row(md, section, "lstm + offsets (degenerate)", cells);
    CHECK(k == 17 && !strcmp(cells[1], "2") && !strcmp(cells[16], "val split (2 candidates) + offsets on cross-validation folds"),
          "the offsets row: %d cells, seeds '%s', chosen on '%s'", k, k ? cells[1] : "", k ? cells[16] : "");
    CHECK(md && !md_row(md, "## Compression", "lstm", cells), "the offsets variant is listed among the compressions");
    free(md);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

int main(void) {
    RUN(test_seed_of_another_recipe);
    RUN(test_results_over_seeds);
    RUN(test_compare_seed_rows);
    RUN(test_paired_t_textbook);
    RUN(test_ablation_paired_over_seeds);
    RUN(test_seeds_on_the_sample);
    RUN(test_offsets_rows);
    return test_done();
}

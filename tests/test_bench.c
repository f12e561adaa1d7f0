/* Benchmark plumbing: CSV quoting, run metadata, the Google Benchmark shim's statistics, and the
 * bench-op command's error paths. Timings are never checked against values, only for sanity. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench/bench.h"
#include "../bench/latency_check.h"
#include "../cli/cli.h"
#include "harness.h"
#include "../models/models.h"
#include "../ops/ops.h"
#include "../report/csv.h"
#include "../runs/runs.h"
#include "models/models.h"
#include "ops/ops.h"
#include "ops/timing.h"

/* Fields with commas, quotes, line breaks and edge spaces come out as RFC 4180 says; plain words
 * and numbers stay bare; missing parent directories are created. */
static void test_csv_quoting(void) {
    char dir[] = "/tmp/ecgbench_test_csv_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[256], sub1[256], sub2[256];
    snprintf(sub1, sizeof sub1, "%s/a", dir);
    snprintf(sub2, sizeof sub2, "%s/a/b", dir);
    snprintf(path, sizeof path, "%s/a/b/out.csv", dir);
    ecg_csv w;
    CHECK(ecg_csv_open(&w, path) == 0, "open: %s", w.err);
    const char *cols[] = {"name", "value", "note"};
    CHECK(ecg_csv_header(&w, cols, 3) == 0, "header");
    ecg_csv_str(&w, "plain"), ecg_csv_int(&w, 1), ecg_csv_str(&w, "");
    ecg_csv_end_row(&w);
    ecg_csv_str(&w, "a,b"), ecg_csv_num(&w, 2.5), ecg_csv_str(&w, "say \"hi\"");
    ecg_csv_end_row(&w);
    ecg_csv_str(&w, "line\nbreak"), ecg_csv_num(&w, -3e-7), ecg_csv_str(&w, " edge ");
    ecg_csv_end_row(&w);
    ecg_csv_str(&w, "\""), ecg_csv_num(&w, NAN), ecg_csv_str(&w, "x\r\ny");
    ecg_csv_end_row(&w);
    CHECK(ecg_csv_close(&w) == 0, "close: %s", w.err);
    char *got = test_read_file(path);
    const char *want = "name,value,note\n"
                       "plain,1,\n"
                       "\"a,b\",2.5,\"say \"\"hi\"\"\"\n"
                       "\"line\nbreak\",-3e-07,\" edge \"\n"
                       "\"\"\"\",nan,\"x\r\ny\"\n";
    CHECK(got && !strcmp(got, want), "csv text:\n%s\nwant:\n%s", got ? got : "(unreadable)", want);
    free(got);

    /* A row with the wrong number of cells is an error, and the error sticks. */
    CHECK(ecg_csv_open(&w, path) == 0, "reopen: %s", w.err);
    ecg_csv_header(&w, cols, 3);
    ecg_csv_str(&w, "short");
    CHECK(ecg_csv_end_row(&w) == -1, "short row accepted");
    CHECK(ecg_csv_str(&w, "more") == -1, "error did not stick");
    CHECK(ecg_csv_close(&w) == -1 && strstr(w.err, "cells"), "close after error: '%s'", w.err);

    unlink(path);
    rmdir(sub2);
    rmdir(sub1);
    rmdir(dir);
}

static void test_csv_bad_dir(void) {
    ecg_csv w;
    CHECK(ecg_csv_open(&w, "/proc/self/no/such/dir/x.csv") == -1, "opened under /proc");
    CHECK(w.err[0] != 0, "no error message");
    CHECK(ecg_csv_close(&w) == -1, "close of a failed writer");
}

/* run.json has every key with the right type and parses back. */
static void test_run_json(void) {
    char dir[] = "/tmp/ecgbench_test_run_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[256];
    snprintf(path, sizeof path, "%s/out/run.json", dir);
    char *argv[] = {"bench-op", "--taps", "5,9"};
    ecg_run_info ri;
    ecg_run_info_collect(&ri, 3, 3, argv);
    char err[256] = "";
    CHECK(ecg_run_info_write(&ri, path, err, sizeof err) == 0, "write: %s", err);
    char *text = test_read_file(path);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    CHECK(j != NULL, "run.json does not parse:\n%s", text ? text : "(unreadable)");
    static const char *const str_keys[] = {"git_commit", "compiler", "cflags", "cpu_model", "os",
                                           "xnnpack_version", "date_utc", "command"};
    for (size_t i = 0; j && i < sizeof str_keys / sizeof str_keys[0]; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(j, str_keys[i]);
        CHECK(cJSON_IsString(v) && v->valuestring[0], "key %s missing or empty", str_keys[i]);
    }
    cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "threads");
    CHECK(cJSON_IsNumber(t) && t->valuedouble == 3, "threads");
    cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "cores");
    CHECK(cJSON_IsNumber(c) && c->valuedouble >= 1, "cores");
    cJSON *fl = cJSON_GetObjectItemCaseSensitive(j, "cpu_flags");
    static const char *const flags[] = {"avx2", "fma", "avx512f", "avx512_vnni"};
    for (size_t i = 0; i < 4; i++)
        CHECK(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(fl, flags[i])), "cpu_flags.%s", flags[i]);
    cJSON *cmd = cJSON_GetObjectItemCaseSensitive(j, "command");
    CHECK(cJSON_IsString(cmd) && !strcmp(cmd->valuestring, "bench-op --taps 5,9"), "command");
    cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "date_utc");
    CHECK(cJSON_IsString(d) && strlen(d->valuestring) == 20 && d->valuestring[19] == 'Z', "date_utc");
    cJSON_Delete(j);
    free(text);
    unlink(path);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/out", dir);
    rmdir(sub);
    rmdir(dir);
}

static void test_percentile(void) {
    double v[] = {5, 1, 4, 2, 3};
    CHECK(ecg_gbench_percentile(v, 5, 50) == 3, "p50");
    CHECK(fabs(ecg_gbench_percentile(v, 5, 90) - 4.6) < 1e-12, "p90 %g", ecg_gbench_percentile(v, 5, 90));
    CHECK(ecg_gbench_percentile(v, 5, 0) == 1 && ecg_gbench_percentile(v, 5, 100) == 5, "ends");
    double one = 7;
    CHECK(ecg_gbench_percentile(&one, 1, 99) == 7, "single value");
}

typedef struct {
    int calls, fail_after;   /* fail_after < 0: never */
    volatile double acc;
} spin_ctx;

static int spin(void *p) {
    spin_ctx *c = p;
    if (c->fail_after >= 0 && c->calls >= c->fail_after) return 7;
    c->calls++;
    for (int i = 0; i < 2000; i++) c->acc = c->acc + (double)i * 1e-9;
    return 0;
}

/* The shim runs tiny cases and hands back consistent statistics, reports failing cases (in the
 * cold call and in the timed loop) without stopping the others, and rejects unknown flags. */
static void test_shim(void) {
    spin_ctx ok = {0, -1, 0}, cold = {0, 0, 0}, late = {0, 3, 0};
    ecg_gbench_case cases[] = {
        {"test/spin", spin, &ok, 2000, NULL, NULL},
        {"test/cold_fail", spin, &cold, 0, NULL, NULL},
        {"test/late_fail", spin, &late, 0, NULL, NULL},
    };
    ecg_gbench_result res[3];
    char arg0[] = "--benchmark_min_time=0.002";
    char *args[] = {arg0};
    ecg_gbench_opts o = {.repetitions = 4, .quiet = 1};
    char err[256] = "";
    CHECK(ecg_gbench_run(1, args, cases, 3, &o, res, err, sizeof err) == 0, "run: %s", err);
    const ecg_gbench_result *r = &res[0];
    CHECK(r->ran && !r->failed, "spin did not run: %s", r->error);
    CHECK(r->iterations > 0 && r->repetitions == 4, "iterations %lld repetitions %d", (long long)r->iterations,
          r->repetitions);
    CHECK(r->min > 0 && r->min <= r->median && r->median <= r->max, "min %g median %g max %g", r->min, r->median, r->max);
    CHECK(r->min <= r->p90 && r->p90 <= r->p99 && r->p99 <= r->max, "p90 %g p99 %g", r->p90, r->p99);
    CHECK(r->min <= r->mean && r->mean <= r->max && r->stddev >= 0, "mean %g stddev %g", r->mean, r->stddev);
    CHECK(r->max < 1.0, "a 2000-step loop took %g s", r->max);
    CHECK(ok.calls > r->iterations, "the cold call and warm-up were not run (%d calls)", ok.calls);
    CHECK(res[1].failed && !res[1].ran && strstr(res[1].error, "first call"), "cold failure: '%s'", res[1].error);
    CHECK(res[2].failed && !res[2].ran && res[2].error[0], "timed failure: '%s'", res[2].error);

    char bad0[] = "--benchmark_no_such_flag=1", bad1[] = "--taps";
    char *bad_a[] = {bad0}, *bad_b[] = {bad1};
    CHECK(ecg_gbench_run(1, bad_a, cases, 1, &o, res, err, sizeof err) == -1 && strstr(err, "no_such_flag"),
          "unknown benchmark flag: '%s'", err);
    CHECK(ecg_gbench_run(1, bad_b, cases, 1, &o, res, err, sizeof err) == -1 && strstr(err, "--taps"),
          "non-benchmark flag: '%s'", err);
    ecg_gbench_case dup[] = {{"test/same", spin, &ok, 0, NULL, NULL}, {"test/same", spin, &ok, 0, NULL, NULL}};
    CHECK(ecg_gbench_run(0, NULL, dup, 2, &o, res, err, sizeof err) == -1 && strstr(err, "duplicate"),
          "duplicate names: '%s'", err);
}

/* Spins for 20 ms of wall time per call. */
static int slow_call(void *p) {
    (void)p;
    double t0 = ecg_now_s();
    while (ecg_now_s() - t0 < 0.02) {
    }
    return 0;
}

/* With max_case_seconds, a case whose cold call says its repetitions would overrun gets fewer of
 * them (but at least 3), a fast case keeps them all, and a user's --benchmark_repetitions wins. */
static void test_shim_caps_slow_cases(void) {
    spin_ctx fast = {0, -1, 0};
    ecg_gbench_case cases[] = {{"test/slow", slow_call, NULL, 0, NULL, NULL}, {"test/fast", spin, &fast, 0, NULL, NULL}};
    ecg_gbench_result res[2];
    char arg0[] = "--benchmark_min_time=0.002";
    char *args[] = {arg0};
    ecg_gbench_opts o = {.repetitions = 10, .quiet = 1, .max_case_seconds = 0.1};
    char err[256] = "";
    CHECK(ecg_gbench_run(1, args, cases, 2, &o, res, err, sizeof err) == 0, "run: %s", err);
    CHECK(res[0].ran && res[0].repetitions >= 3 && res[0].repetitions <= 5, "slow case: %d repetitions",
          res[0].repetitions);
    CHECK(res[0].median >= 0.02, "slow case median %g s", res[0].median);
    CHECK(res[1].ran && res[1].repetitions == 10, "fast case: %d repetitions", res[1].repetitions);
    char arg1[] = "--benchmark_repetitions=2";
    char *user[] = {arg0, arg1};
    CHECK(ecg_gbench_run(2, user, cases, 1, &o, res, err, sizeof err) == 0 && res[0].repetitions == 2,
          "user repetitions: %d (%s)", res[0].repetitions, err);
}

/* A case whose setup allocates: counts how many are alive at once. */
typedef struct {
    int *live, *most_live;
    int setups, teardowns, calls_alone, fail;
    spin_ctx spin;
} life_case;

static int life_setup(void *p, char *err, size_t errlen) {
    life_case *c = p;
    if (c->fail) {
        snprintf(err, errlen, "no memory for it");
        return -1;
    }
    c->setups++;
    if (++*c->live > *c->most_live) *c->most_live = *c->live;
    return 0;
}

static void life_teardown(void *p) {
    life_case *c = p;
    c->teardowns++;
    --*c->live;
}

static int life_call(void *p) {
    life_case *c = p;
    c->calls_alone += *c->live == 1;
    return spin(&c->spin);
}

/* Cases are set up one at a time, just before they run, and torn down after; a filtered-out case
 * is never set up, a failing setup fails only its case, and the filter matches the case names. */
static void test_shim_case_lifetime(void) {
    int live = 0, most = 0;
    life_case lc[4];
    const char *names[4] = {"life/a", "life/b", "life/skip", "life/bad"};
    ecg_gbench_case cases[4];
    for (int i = 0; i < 4; i++) {
        lc[i] = (life_case){&live, &most, 0, 0, 0, i == 3, {0, -1, 0}};
        cases[i] = (ecg_gbench_case){names[i], life_call, &lc[i], 0, life_setup, life_teardown};
    }
    ecg_gbench_result res[4];
    char a0[] = "--benchmark_min_time=0.002", a1[] = "--benchmark_filter=-skip";
    char *args[] = {a0, a1};
    ecg_gbench_opts o = {.repetitions = 2, .quiet = 1};
    char err[256] = "";
    CHECK(ecg_gbench_run(2, args, cases, 4, &o, res, err, sizeof err) == 0, "run: %s", err);
    for (int i = 0; i < 2; i++)
        CHECK(res[i].ran && lc[i].setups == 1 && lc[i].teardowns == 1 && lc[i].calls_alone == lc[i].spin.calls,
              "%s: ran %d, %d setups, %d teardowns, %d of %d calls alone", names[i], res[i].ran, lc[i].setups,
              lc[i].teardowns, lc[i].calls_alone, lc[i].spin.calls);
    CHECK(most == 1 && live == 0, "%d cases alive at once, %d left", most, live);
    CHECK(!res[2].ran && !res[2].failed && lc[2].setups == 0, "filtered-out case: ran %d, %d setups", res[2].ran,
          lc[2].setups);
    CHECK(res[3].failed && strstr(res[3].error, "setup failed: no memory") && lc[3].teardowns == 0 &&
              lc[3].spin.calls == 0,
          "failing setup: '%s'", res[3].error);

    char a2[] = "--benchmark_filter=life/a$"; /* anchored at the case name's end */
    args[1] = a2;
    CHECK(ecg_gbench_run(2, args, cases, 2, &o, res, err, sizeof err) == 0 && res[0].ran && !res[1].ran,
          "anchored filter: a %d b %d (%s)", res[0].ran, res[1].ran, err);
    char a3[] = "--benchmark_filter=(", a4[] = "--benchmark_filter=all";
    args[1] = a3;
    CHECK(ecg_gbench_run(2, args, cases, 2, &o, res, err, sizeof err) == -1 && strstr(err, "not a regular"),
          "bad filter: '%s'", err);
    args[1] = a4; /* Google Benchmark's flags outlive the call: leave the filter open for later tests */
    CHECK(ecg_gbench_run(2, args, cases, 0, &o, res, err, sizeof err) == 0, "reset: %s", err);
}

/* bench-op reports usage errors with exit 2 and build/lowering failures with exit 1, without
 * crashing and before anything is timed (--benchmark_list_tests guards against a surprise). */
static void test_bench_op_errors(void) {
    char *a1[] = {"bench-op", "--no-such-option"};
    CHECK(ecg_cmd_bench_op(2, a1) == 2, "unknown option");
    char *a2[] = {"bench-op", "--executors", "xnnpack,gpu"};
    CHECK(ecg_cmd_bench_op(3, a2) == 2, "unknown executor");
    char *a3[] = {"bench-op", "--length", "10,20,30", "--channels", "4,8"};
    CHECK(ecg_cmd_bench_op(5, a3) == 2, "mismatched lists");
    char *a4[] = {"bench-op", "--batch"};
    CHECK(ecg_cmd_bench_op(2, a4) == 2, "missing value");
    char *a5[] = {"bench-op", "--taps", "0", "--length", "8", "--channels", "4", "--out", "/tmp/ecgbench_never",
                  "--benchmark_list_tests=true"};
    CHECK(ecg_cmd_bench_op(10, a5) == 1, "a 0-tap depthwise conv was accepted");
    CHECK(access("/tmp/ecgbench_never/bench_op.csv", F_OK) != 0, "a failed run wrote a CSV");
}

/* `ecgbench info MODEL --csv`: one row per graph node, and the rows add up to the graph's totals. */
static void test_info_csv(void) {
    char path[] = "/tmp/ecgbench_info_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0) return;
    close(fd);
    char *a[] = {"info", "resnet1d", "--length", "100", "--classes", "4", "--csv", path};
    CHECK(ecg_cmd_info(8, a) == 0, "info failed");
    char *text = test_read_file(path);
    long long params = 0, flops = 0;
    int rows = 0;
    char *save = NULL;
    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        if (rows++ == 0) continue; /* header */
        /* layer,op,"[T, C]",params,flops: the last two fields */
        char *last = strrchr(line, ',');
        *last = 0;
        flops += atoll(last + 1);
        params += atoll(strrchr(line, ',') + 1);
    }
    rows--;
    ecg_graph g;
    char err[256];
    ecg_model_cfg c = ecg_model_cfg_default(100, 1, 4);
    CHECK(ecg_model_build("resnet1d", &c, &g, err, sizeof err) == 0, "%s", err);
    CHECK(rows == g.n_nodes, "rows %d nodes %d", rows, g.n_nodes);
    CHECK(params == ecg_graph_param_count(&g) && flops == ecg_graph_flops(&g), "sums %lld %lld", params, flops);
    ecg_graph_free(&g);
    free(text);
    unlink(path);
    char *bad[] = {"info", "no-such-model"};
    CHECK(ecg_cmd_info(2, bad) == 1, "unknown model accepted");
    char *bad2[] = {"info", "resnet1d", "--length", "-3"};
    CHECK(ecg_cmd_info(4, bad2) == 2, "negative length accepted");
}

/* The core peak is a real ceiling: XNNPACK's dense GEMM (a 512x512 linear on 64 rows, one thread)
 * cannot beat it, and it is below 64 f32 FLOPs per cycle at 8 GHz. A peak that counted FLOPs
 * wrong, or a loop the compiler shortened, breaks one side. The best GEMM rate of 20 runs is
 * compared with the peak measured after it (slack 0.8 for a noisy shared machine). The probe
 * repeats until its best timings agree (spread <= 2%) or its 3 s cap, and says which. */
static void test_peak_gflops(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(64, 512));
    ecg_graph_set_output(&g, ecg_linear(&g, "fc", x, 512, 1));
    char err[256] = "";
    ecg_xnn *xe = ecg_xnn_create(&g, 1, 1, 0, err, sizeof err);
    CHECK(xe != NULL, "%s", err);
    double best = 0;
    for (int r = 0; xe && r < 20; r++) {
        double t0 = ecg_now_s();
        CHECK(ecg_xnn_run(xe) == 0, "run");
        double dt = ecg_now_s() - t0, gf = 2.0 * 64 * 512 * 512 / dt / 1e9;
        if (gf > best) best = gf;
    }
    ecg_peak pk = {0};
    double t0 = ecg_now_s();
    ecg_peak_measure(&pk);
    double took = ecg_now_s() - t0, peak = pk.gflops;
    const char *isa = pk.isa;
    printf("  core peak %.1f GFLOP/s +- %.1f%% (%s, %d rounds, %.2f s), XNNPACK GEMM best %.1f GFLOP/s\n", peak,
           pk.spread_pct, isa, pk.rounds, took, best);
    CHECK(pk.rounds >= 2 && pk.spread_pct >= 0 && pk.spread_pct < 100, "rounds %d spread %g%%", pk.rounds,
          pk.spread_pct);
    CHECK(pk.spread_pct <= 2.0 || took >= 3.0, "stopped at a %.1f%% spread after %.2f s, before its 3 s cap",
          pk.spread_pct, took);
    CHECK(pk.stable == (pk.spread_pct <= 2.0), "stable %d at a %.1f%% spread", pk.stable, pk.spread_pct);
    CHECK(took < 5.0, "the probe took %.2f s", took);
    CHECK(isa && (!strcmp(isa, "avx512") || !strcmp(isa, "avx2") || !strcmp(isa, "scalar")), "isa %s", isa);
    CHECK(peak > 0.1 && peak < 64 * 8.0, "peak %.1f GFLOP/s is not a plausible f32 core peak", peak);
    CHECK(best <= peak / 0.8, "XNNPACK reached %.1f GFLOP/s, above the measured peak %.1f", best, peak);
    ecg_xnn_free(xe);
    ecg_graph_free(&g);
}

/* The memory read rate is a plausible one (between 0.1 GB/s and 10 TB/s, read from a 256 MiB
 * buffer) and below what the core could load from its own cache: a rate above 64 bytes a cycle at
 * 8 GHz would mean the loads were dropped. */
static void test_memory_bandwidth(void) {
    ecg_bandwidth bw;
    double t0 = ecg_now_s();
    CHECK(ecg_bandwidth_measure(&bw) == 0, "the 256 MiB buffer could not be allocated");
    printf("  memory read %.1f GB/s +- %.1f%% (%d rounds, %.2f s)\n", bw.gbps, bw.spread_pct, bw.rounds,
           ecg_now_s() - t0);
    CHECK(bw.bytes == (size_t)256 << 20 && bw.rounds >= 1, "%zu bytes, %d rounds", bw.bytes, bw.rounds);
    CHECK(bw.gbps > 0.1 && bw.gbps < 64 * 8.0, "%.1f GB/s is not a plausible read rate", bw.gbps);
}

/* The latency flag: a quiet row passes; a scattered one, N threads far slower than one (the
 * issue's 254 us vs 560,000 us) and a speed-up beyond the thread count are flagged with a reason
 * that names the figure; thresholds are exclusive; NaN figures are not judged. */
static void test_latency_flags(void) {
    char why[96];
    CHECK(!ecg_latency_flag(1, 100, 104, 112, NAN, why, sizeof why) && !why[0], "quiet row flagged: %s", why);
    CHECK(!ecg_latency_flag(2, 60, 62, 65, 100, why, sizeof why) && !why[0], "a 1.7x speed-up flagged: %s", why);
    CHECK(!ecg_latency_flag(2, 190, 200, 210, 100, why, sizeof why), "2 threads 1.9x slower (small model) flagged: %s",
          why);
    CHECK(ecg_latency_flag(1, 100, 320, 400, NAN, why, sizeof why) && !strcmp(why, "spread p90/median 3.2"),
          "noisy row: '%s'", why);
    CHECK(ecg_latency_flag(1, 100, 120, 450, NAN, why, sizeof why) && !strcmp(why, "spread p99/median 4.5"),
          "a slow tail: '%s'", why);
    CHECK(ecg_latency_flag(2, 560000, 561000, 562000, 254, why, sizeof why) &&
              !strcmp(why, "2 threads 2205x slower than 1"),
          "bad scaling: '%s'", why);
    CHECK(ecg_latency_flag(2, 30, 31, 32, 100, why, sizeof why) && !strcmp(why, "2 threads 3.3x faster than 1"),
          "super-linear: '%s'", why);
    CHECK(ecg_latency_flag(4, 500, 2000, 2100, 100, why, sizeof why) &&
              !strcmp(why, "spread p90/median 4.0; 4 threads 5.0x slower than 1"),
          "both: '%s'", why);
    CHECK(!ecg_latency_flag(1, 100, 150, 300, NAN, why, sizeof why), "at the thresholds: '%s'", why);
    CHECK(!ecg_latency_flag(2, NAN, NAN, NAN, 100, why, sizeof why) && !why[0], "NaN judged: '%s'", why);
    CHECK(!ecg_latency_flag(1, 100, NAN, NAN, NAN, why, sizeof why), "missing p90/p99 judged: '%s'", why);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ecg_latency_warn(f, 0, "x");
    ecg_latency_warn(f, 3, "lstm/b1/t2: 2 threads 1422x slower than 1");
    ecg_latency_warn(f, 1, "a/b1/t1: spread p90/median 2.0");
    fclose(f);
    CHECK(text && !strcmp(text, "warning: 3 latency rows look disturbed (lstm/b1/t2: 2 threads 1422x slower than "
                                "1, ...); re-run on a quiet machine\n"
                                "warning: 1 latency row looks disturbed (a/b1/t1: spread p90/median 2.0); re-run on "
                                "a quiet machine\n"),
          "warnings:\n%s", text ? text : "(none)");
    free(text);
}

static void put_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (f) fputs(text, f), fclose(f);
}

/* `ecgbench compare`: each side's commit, CPU and data in the header (from the run.json beside
 * it), a warning when only one side ran on the sample, and no line of 100 characters or more,
 * even for run names too long to share a line with their figures. */
static void test_compare_header(void) {
    char dir[] = "/tmp/ecgbench_compare_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char a_dir[128], b_dir[128], a[160], b[160], json[160];
    snprintf(a_dir, sizeof a_dir, "%s/a", dir), snprintf(b_dir, sizeof b_dir, "%s/b", dir);
    mkdir(a_dir, 0755), mkdir(b_dir, 0755);
    snprintf(a, sizeof a, "%s/results.csv", a_dir), snprintf(b, sizeof b, "%s/results.csv", b_dir);
    static const char *const head = "dataset,split,data_version,sample,model,variant,batch,threads,accuracy,"
                                    "latency_median_us\n";
    char text[2048];
    snprintf(text, sizeof text,
             "%smitdb-aami,test,\"SAMPLE, not for reporting: mitdb subset (2 records, trimmed; see its README) at "
             "datasets/sample/mitdb\",1,efficientecg-fusion-agesex,channels50,1,1,0.5,254\n"
             "mitdb-aami-intra,intra-test,SAMPLE x,1,efficientecg-fusion-agesex-with-a-much-longer-name,prune95,32,"
             "2,0.5,123456.789\n",
             head);
    put_file(a, text);
    snprintf(text, sizeof text,
             "%smitdb-aami,test,mitdb (22 records; SHA256SUMS fnv1a64 7d18711461b8109b) at data/mitdb,0,"
             "efficientecg-fusion-agesex,channels50,1,1,0.9,250\n"
             "mitdb-aami-intra,intra-test,mitdb x,0,efficientecg-fusion-agesex-with-a-much-longer-name,prune95,32,2,"
             "0.9,100000.5\n",
             head);
    put_file(b, text);
    snprintf(json, sizeof json, "%s/run.json", b_dir);
    put_file(json, "{\"git_commit\": \"0123abcd\", \"cpu_model\": \"Some CPU @ 2.0GHz\", \"cores\": 2}");
    char *argv[] = {"compare", a, b};
    int rc;
    char *out = test_capture_stdout(ecg_cmd_compare, 3, argv, &rc);
    CHECK(rc == 0 && out, "compare failed");
    if (out) {
        CHECK(strstr(out, "   commit and CPU unknown (no run.json beside it)\n"), "A's header:\n%s", out);
        CHECK(strstr(out, "   commit 0123abcd, CPU Some CPU @ 2.0GHz (2 cores)\n"), "B's header:\n%s", out);
        CHECK(strstr(out, "   data: mitdb (22 records; SHA256SUMS fnv1a64 7d18711461b8109b) at data/mitdb\n"),
              "B's data:\n%s", out);
        CHECK(strstr(out, "\nwarning: A ran on the bundled sample data and B on the full data"), "no warning:\n%s",
              out);
        CHECK(strstr(out, "2 rows matched"), "matches:\n%s", out);
        int longest = 0;
        for (char *l = out; *l;) {
            int n = (int)strcspn(l, "\n");
            longest = n > longest ? n : longest;
            l += n + (l[n] != 0);
        }
        CHECK(longest < 100, "a %d-character line:\n%s", longest, out);
    }
    free(out);
    /* both on the sample: no warning */
    char *same[] = {"compare", a, a};
    out = test_capture_stdout(ecg_cmd_compare, 3, same, &rc);
    CHECK(rc == 0 && out && !strstr(out, "warning"), "a warning for two sample runs:\n%s", out ? out : "");
    free(out);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

/* `ecgbench models`: every row's columns line up with the header's (names left, numbers right). */
static void test_models_aligned(void) {
    char *argv[] = {"models"};
    int rc;
    char *out = test_capture_stdout(ecg_cmd_models, 1, argv, &rc);
    CHECK(rc == 0 && out, "models failed");
    if (!out) return;
    char *save = NULL, *line = strtok_r(out, "\n", &save);
    const char *p = line ? strstr(line, "params") : NULL, *f = line ? strstr(line, "FLOPs") : NULL;
    const char *d = line ? strstr(line, "description") : NULL;
    CHECK(p && f && d, "header: %s", line ? line : "(none)");
    int end_p = p ? (int)(p - line) + 6 : 0, end_f = f ? (int)(f - line) + 5 : 0, at_d = d ? (int)(d - line) : 0;
    int rows = 0;
    while (p && f && d && (line = strtok_r(NULL, "\n", &save))) {
        rows++;
        int len = (int)strlen(line);
        CHECK(len > at_d && line[at_d - 1] == ' ' && line[at_d] != ' ', "description not at column %d: %s", at_d, line);
        CHECK(len > end_f && line[end_p - 1] >= '0' && line[end_p - 1] <= '9' && line[end_p] == ' ',
              "params not ending at column %d: %s", end_p, line);
        CHECK(line[end_f - 1] >= '0' && line[end_f - 1] <= '9' && line[end_f] == ' ', "FLOPs not ending at %d: %s",
              end_f, line);
        CHECK(strchr(line, ' ') - line < end_p - 6, "name runs into params: %s", line);
    }
    int models = 0;
    while (ecg_model_at(models)) models++;
    CHECK(rows == models, "%d rows for %d models", rows, models);
    free(out);
}

/* One default seed: every committed run was trained with ECG_DEFAULT_SEED, and `data info` uses
 * it unless told otherwise, says so, and says what the database holds beside each split's records. */
static void test_data_info_default_seed(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    ecg_run *runs = NULL;
    int n = 0;
    char err[1400] = "";
    if (access("models/weights", F_OK) == 0) {
        CHECK(ecg_runs_list("models/weights", &runs, &n, err, sizeof err) == 0 && n > 0, "committed runs: %s", err);
        for (int i = 0; i < n; i++)
            CHECK(runs[i].seed == ECG_DEFAULT_SEED, "%s was trained with seed %llu, not the default %d", runs[i].dir,
                  (unsigned long long)runs[i].seed, ECG_DEFAULT_SEED);
        ecg_runs_free(runs, n);
    }
    char cache[] = "/tmp/ecgbench_info_cache_XXXXXX";
    CHECK(mkdtemp(cache) != NULL, "mkdtemp");
    setenv("ECG_CACHE_DIR", cache, 1);
    char *argv[] = {"info", "mitdb-aami", "--data", "datasets/sample"};
    int rc;
    char *out = test_capture_stdout(ecg_cmd_data_info, 4, argv, &rc);
    CHECK(rc == 0 && out, "data info failed");
    if (out) {
        CHECK(strstr(out, "task mitdb-aami, seed " ECG_DEFAULT_SEED_STR " (the default: the splits train, compress "),
              "seed line:\n%s", out);
        CHECK(strstr(out, "database: MIT-BIH's 48 records; 44 used (DS1 22, DS2 22), the 4 paced ones excluded "
                          "(102, 104, 107, 217)"),
              "database line:\n%s", out);
        CHECK(strstr(out, "data: SAMPLE, not for reporting: mitdb subset (trimmed;"), "data line:\n%s", out);
        CHECK(strstr(out, " total  records\n"), "column heads:\n%s", out);
    }
    free(out);
    char *other[] = {"info", "mitdb-aami", "--data", "datasets/sample", "--seed", "0"};
    out = test_capture_stdout(ecg_cmd_data_info, 6, other, &rc);
    CHECK(rc == 0 && out && strstr(out, "seed 0 (not the default " ECG_DEFAULT_SEED_STR ":"), "seed 0:\n%s",
          out ? out : "");
    free(out);
    unsetenv("ECG_CACHE_DIR");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", cache);
    CHECK(system(cmd) == 0, "cleanup");
}

int main(void) {
    RUN(test_peak_gflops);
    RUN(test_memory_bandwidth);
    RUN(test_csv_quoting);
    RUN(test_csv_bad_dir);
    RUN(test_run_json);
    RUN(test_percentile);
    RUN(test_shim);
    RUN(test_shim_caps_slow_cases);
    RUN(test_shim_case_lifetime);
    RUN(test_bench_op_errors);
    RUN(test_info_csv);
    RUN(test_latency_flags);
    RUN(test_compare_header);
    RUN(test_models_aligned);
    RUN(test_data_info_default_seed);
    return test_done();
}

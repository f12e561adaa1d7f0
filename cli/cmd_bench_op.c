/* `ecgbench bench-op`: times single operators through the XNNPACK and reference executors.
 * The default set is the depthwise-conv study: XNNPACK only has fast f32 depthwise kernels for
 * 3, 4, 9 and 25 taps, so the executor zero-pads other tap counts; xnnpack-nopad measures the
 * fallback that padding avoids. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "ops/ops.h"
#include "ops/rng.h"
#include "report/csv.h"

#define MAX_LIST 16
#define MAX_PASS 64

typedef enum { EX_XNN, EX_XNN_NOPAD, EX_REF, EX_COUNT } executor;
static const char *const ex_names[EX_COUNT] = {"xnnpack", "xnnpack-nopad", "reference"};

typedef struct {
    ecg_op_kind op;
    const char *op_name;
    int taps[MAX_LIST], n_taps;
    int length[MAX_LIST], n_length;
    int channels[MAX_LIST], n_channels;
    int ex[EX_COUNT], n_ex;
    int batch, threads;
    const char *out;
    char *pass[MAX_PASS];       /* --benchmark_* flags for Google Benchmark */
    int n_pass;
} opts;

typedef struct {
    ecg_graph g;
    int built;
    float *input;               /* batch * T * C */
    int length, channels, taps;
    char name[96];              /* case name without the executor, e.g. dwconv/T360xC96/k5 */
} op_graph;

typedef struct {
    op_graph *graph;
    executor ex;
    ecg_xnn *x;
    ecg_ref *r;
    int effective_taps, threads;
    double flops;               /* per call (whole batch), nominal: padded taps are not counted */
    char name[128];
} op_case;

static const struct {
    const char *name;
    ecg_op_kind kind;
} op_table[] = {
    {"dwconv", ECG_OP_CONV1D}, {"relu", ECG_OP_RELU},   {"silu", ECG_OP_SILU},
    {"sigmoid", ECG_OP_SIGMOID}, {"tanh", ECG_OP_TANH}, {"hardswish", ECG_OP_HARDSWISH},
};

static void usage(FILE *f) {
    fprintf(f,
            "usage: ecgbench bench-op [options] [--benchmark_* flags]\n"
            "Times one operator through the XNNPACK executor (operators created once, outside the timed\n"
            "loop) and the reference executor (eval mode) with Google Benchmark.\n"
            "  --op NAME          dwconv (default; depthwise conv1d, stride 1, \"same\" padding, no bias),\n"
            "                     or an activation: relu, silu, sigmoid, tanh, hardswish\n"
            "  --taps LIST        depthwise kernel sizes (default 5,9,25)\n"
            "  --length LIST      time steps T (default 360,90)\n"
            "  --channels LIST    channels C, paired with --length (default 96,240); a single value\n"
            "                     in either list applies to every entry of the other\n"
            "  --batch N          batch size (default 1)\n"
            "  --threads N        XNNPACK threads, 0 = all cores (default 1); the reference runs on 1\n"
            "  --executors LIST   xnnpack,xnnpack-nopad,reference (default all three; for activations\n"
            "                     xnnpack,reference)\n"
            "  --out DIR          output directory (default reports/out): bench_op.csv, run.json\n"
            "Google Benchmark flags pass through, e.g. --benchmark_filter=k25 --benchmark_min_time=0.1\n"
            "--benchmark_repetitions=N (default 10). Latencies are per call of the whole batch.\n");
}

static int parse_int(const char *s, int *out, int lo, int hi, const char *what) {
    int v[MAX_LIST], n;
    if (ecg_arg_list("bench-op", what, s, lo, hi, v, &n, MAX_LIST)) return -1;
    if (n != 1) {
        fprintf(stderr, "ecgbench bench-op: %s takes one value\n", what);
        return -1;
    }
    *out = v[0];
    return 0;
}

static int parse_executors(const char *s, opts *o) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    o->n_ex = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int e = 0; e < EX_COUNT; e++)
            if (!strcmp(t, ex_names[e])) found = e;
        if (found < 0) {
            fprintf(stderr, "ecgbench bench-op: unknown executor '%s' (xnnpack, xnnpack-nopad, reference)\n", t);
            return -1;
        }
        for (int e = 0; e < o->n_ex; e++)
            if (o->ex[e] == found) found = -1;
        if (found >= 0) o->ex[o->n_ex++] = found;
    }
    if (!o->n_ex) {
        fprintf(stderr, "ecgbench bench-op: --executors is empty\n");
        return -1;
    }
    return 0;
}

static int parse_op(const char *name, opts *o) {
    for (size_t k = 0; k < sizeof op_table / sizeof op_table[0]; k++)
        if (!strcmp(name, op_table[k].name)) {
            o->op = op_table[k].kind;
            o->op_name = op_table[k].name;
            return 0;
        }
    fprintf(stderr, "ecgbench bench-op: unknown op '%s' (dwconv, relu, silu, sigmoid, tanh, hardswish)\n", name);
    return -1;
}

/* Returns 0 ok, 1 to exit 0 (help), 2 on a usage error. */
static int parse_args(int argc, char **argv, opts *o) {
    memset(o, 0, sizeof *o);
    o->op = ECG_OP_CONV1D;
    o->op_name = "dwconv";
    int explicit_ex = 0;
    const char *taps = "5,9,25", *length = "360,90", *channels = "96,240";
    o->batch = 1;
    o->threads = 1;
    o->out = "reports/out";
    static const struct option lo[] = {{"op", 1, 0, 'p'},      {"taps", 1, 0, 'k'},      {"length", 1, 0, 'T'},
                                       {"channels", 1, 0, 'C'}, {"batch", 1, 0, 'b'},     {"threads", 1, 0, 'j'},
                                       {"executors", 1, 0, 'x'}, {"out", 1, 0, 'o'},      {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
    int n = 0, c, rc = 0;
    char **rest = ecg_gbench_split("bench-op", argc, argv, o->pass, &o->n_pass, MAX_PASS, &n);
    if (!rest) return 2;
    optind = 1;
    while (!rc && (c = getopt_long(n, rest, "", lo, NULL)) != -1) {
        switch (c) {
        case 'p': rc = parse_op(optarg, o) ? 2 : 0; break;
        case 'k': taps = optarg; break;
        case 'T': length = optarg; break;
        case 'C': channels = optarg; break;
        case 'b': rc = parse_int(optarg, &o->batch, 1, 4096, "--batch") ? 2 : 0; break;
        case 'j': rc = parse_int(optarg, &o->threads, 0, 1024, "--threads") ? 2 : 0; break;
        case 'x': rc = parse_executors(optarg, o) ? 2 : 0; explicit_ex = 1; break;
        case 'o':
            o->out = optarg;
            if (!optarg[0]) rc = (fprintf(stderr, "ecgbench bench-op: --out is empty\n"), 2);
            break;
        case 'h': usage(stdout); rc = 1; break;
        default: rc = 2;
        }
    }
    if (!rc && optind != n) rc = (fprintf(stderr, "ecgbench bench-op: unexpected argument '%s'\n", rest[optind]), 2);
    free(rest);
    if (rc) return rc;
    /* Taps are only checked for >= 0 here: the builder rejects bad sizes, reported as a build error. */
    if (ecg_arg_list("bench-op", "--taps", taps, 0, 4096, o->taps, &o->n_taps, MAX_LIST) ||
        ecg_arg_list("bench-op", "--length", length, 1, 1 << 20, o->length, &o->n_length, MAX_LIST) ||
        ecg_arg_list("bench-op", "--channels", channels, 1, 1 << 16, o->channels, &o->n_channels, MAX_LIST))
        return 2;
    if (o->n_length != o->n_channels && o->n_length != 1 && o->n_channels != 1) {
        fprintf(stderr, "ecgbench bench-op: --length has %d values and --channels %d; give equal counts or one value\n",
                o->n_length, o->n_channels);
        return 2;
    }
    if (!explicit_ex) {
        /* Without depthwise taps the nopad flag changes nothing, so activations skip it. */
        o->n_ex = 0;
        for (int e = 0; e < EX_COUNT; e++)
            if (e != EX_XNN_NOPAD || o->op == ECG_OP_CONV1D) o->ex[o->n_ex++] = e;
    }
    if (o->op != ECG_OP_CONV1D) {
        o->taps[0] = 0;
        o->n_taps = 1;
    }
    return 0;
}

static int build_graph(op_graph *gr, const opts *o, char *err, size_t errlen) {
    ecg_graph *g = &gr->g;
    ecg_graph_init(g, 1);
    gr->built = 1;
    int x = ecg_input(g, "x", ecg_shape2(gr->length, gr->channels));
    int y = o->op == ECG_OP_CONV1D ? ecg_dwconv1d(g, "dw", x, gr->taps, 1, 1, 0) : ecg_unary(g, o->op, "act", x);
    if (y < 0 || g->err[0]) {
        snprintf(err, errlen, "%s: %s", gr->name, g->err[0] ? g->err : "graph build failed");
        return -1;
    }
    ecg_graph_set_output(g, y);
    size_t n = (size_t)o->batch * (size_t)gr->length * (size_t)gr->channels;
    gr->input = malloc(n * sizeof(float));
    if (!gr->input) {
        snprintf(err, errlen, "%s: out of memory", gr->name);
        return -1;
    }
    ecg_rng r = {42};
    for (size_t i = 0; i < n; i++) gr->input[i] = ecg_rng_normal(&r);
    return 0;
}

static int create_exec(op_case *c, const opts *o, char *err, size_t errlen) {
    op_graph *gr = c->graph;
    char msg[ECG_ERR_LEN];
    c->flops = (double)ecg_graph_flops(&gr->g) * (double)o->batch;
    c->effective_taps = gr->taps;
    if (c->ex == EX_REF) {
        c->r = ecg_ref_create(&gr->g, o->batch, msg, sizeof msg);
        c->threads = 1;
        if (!c->r) {
            snprintf(err, errlen, "%s: reference executor: %s", c->name, msg);
            return -1;
        }
        return 0;
    }
    c->x = ecg_xnn_create(&gr->g, o->batch, o->threads, c->ex == EX_XNN_NOPAD ? ECG_XNN_NO_DW_PAD : 0u, msg, sizeof msg);
    if (!c->x) {
        snprintf(err, errlen, "%s: XNNPACK executor: %s", c->name, msg);
        return -1;
    }
    c->threads = ecg_xnn_threads(c->x);
    memcpy(ecg_xnn_input(c->x, 0), gr->input, (size_t)o->batch * (size_t)gr->length * (size_t)gr->channels * sizeof(float));
    ecg_xnn_stats st = ecg_xnn_get_stats(c->x);
    if (st.n_dw_padded > 0) c->effective_taps = ecg_xnn_dw_fast_taps(gr->taps);
    if (st.n_dw_slow > 0 && c->ex == EX_XNN)
        fprintf(stderr, "ecgbench bench-op: note: %s: no fast XNNPACK depthwise kernel for %d taps (slow path)\n",
                c->name, gr->taps);
    return 0;
}

static int run_case(void *p) {
    op_case *c = p;
    if (c->x) return ecg_xnn_run(c->x);
    const float *in[1] = {c->graph->input};
    return ecg_ref_forward(c->r, in, 0, 0);
}

static int write_csv(const char *path, const op_case *cases, const ecg_gbench_result *res, int n, const opts *o,
                     char *err, size_t errlen) {
    static const char *const cols[] = {"case", "executor", "taps", "effective_taps", "channels", "length", "batch",
                                       "threads", "iterations", "repetitions", "median_us", "mean_us", "stddev_us",
                                       "p90_us", "p99_us", "min_us", "max_us", "flops", "gflops_per_s"};
    ecg_csv w;
    ecg_csv_open(&w, path);
    ecg_csv_header(&w, cols, (int)(sizeof cols / sizeof cols[0]));
    for (int i = 0; i < n; i++) {
        const op_case *c = &cases[i];
        const ecg_gbench_result *r = &res[i];
        if (!r->ran) continue;
        ecg_csv_str(&w, c->graph->name);
        ecg_csv_str(&w, ex_names[c->ex]);
        ecg_csv_int(&w, c->graph->taps);
        ecg_csv_int(&w, c->effective_taps);
        ecg_csv_int(&w, c->graph->channels);
        ecg_csv_int(&w, c->graph->length);
        ecg_csv_int(&w, o->batch);
        ecg_csv_int(&w, c->threads);
        ecg_csv_int(&w, (long long)r->iterations);
        ecg_csv_int(&w, r->repetitions);
        const double s[] = {r->median, r->mean, r->stddev, r->p90, r->p99, r->min, r->max};
        for (size_t k = 0; k < sizeof s / sizeof s[0]; k++) ecg_csv_num(&w, s[k] * 1e6);
        ecg_csv_int(&w, (long long)c->flops);
        ecg_csv_num(&w, r->median > 0 ? c->flops / r->median * 1e-9 : 0.0);
        ecg_csv_end_row(&w);
    }
    if (ecg_csv_close(&w)) {
        snprintf(err, errlen, "%s: %s", path, w.err);
        return -1;
    }
    return 0;
}

/* Every shape and tap count's graph, and a case per executor on it. */
static int build_cases(const opts *o, int n_shapes, op_graph *graphs, op_case *cases, ecg_gbench_case *gc, char *err,
                       size_t errlen) {
    for (int s = 0, gi = 0; s < n_shapes; s++) {
        for (int k = 0; k < o->n_taps; k++, gi++) {
            op_graph *gr = &graphs[gi];
            gr->length = o->length[o->n_length == 1 ? 0 : s];
            gr->channels = o->channels[o->n_channels == 1 ? 0 : s];
            gr->taps = o->taps[k];
            if (o->op == ECG_OP_CONV1D)
                snprintf(gr->name, sizeof gr->name, "%s/T%dxC%d/k%d", o->op_name, gr->length, gr->channels, gr->taps);
            else snprintf(gr->name, sizeof gr->name, "%s/T%dxC%d", o->op_name, gr->length, gr->channels);
            if (build_graph(gr, o, err, errlen)) return -1;
            for (int e = 0; e < o->n_ex; e++) {
                op_case *c = &cases[gi * o->n_ex + e];
                c->graph = gr;
                c->ex = (executor)o->ex[e];
                snprintf(c->name, sizeof c->name, "%s/%s", gr->name, ex_names[c->ex]);
                if (create_exec(c, o, err, errlen)) return -1;
                gc[gi * o->n_ex + e] = (ecg_gbench_case){c->name, run_case, c, c->flops, NULL, NULL};
            }
        }
    }
    return 0;
}

/* bench_op.csv and run.json, once some case ran. */
static int write_outputs(const opts *o, const op_case *cases, const ecg_gbench_result *res, int n_cases, int n_ran,
                         int argc, char **argv, char *err, size_t errlen) {
    char path[4096];
    snprintf(path, sizeof path, "%s/bench_op.csv", o->out);
    if (write_csv(path, cases, res, n_cases, o, err, errlen)) return -1;
    printf("bench-op: %d case(s) -> %s\n", n_ran, path);
    int threads = 1;
    for (int i = 0; i < n_cases; i++)
        if (cases[i].threads > threads) threads = cases[i].threads;
    ecg_run_info ri;
    ecg_run_info_collect(&ri, threads, argc, argv);
    snprintf(path, sizeof path, "%s/run.json", o->out);
    if (ecg_run_info_write(&ri, path, err, errlen)) return -1;
    printf("bench-op: run metadata -> %s\n", path);
    return 0;
}

int ecg_cmd_bench_op(int argc, char **argv) {
    opts o;
    int prc = parse_args(argc, argv, &o);
    if (prc) return prc == 1 ? 0 : 2;

    int n_shapes = o.n_length > o.n_channels ? o.n_length : o.n_channels;
    int n_graphs = n_shapes * o.n_taps, n_cases = n_graphs * o.n_ex;
    op_graph *graphs = calloc((size_t)n_graphs, sizeof *graphs);
    op_case *cases = calloc((size_t)n_cases, sizeof *cases);
    ecg_gbench_case *gc = calloc((size_t)n_cases, sizeof *gc);
    ecg_gbench_result *res = calloc((size_t)n_cases, sizeof *res);
    char err[1024] = "";
    int rc = 1;
    if (!graphs || !cases || !gc || !res) {
        snprintf(err, sizeof err, "out of memory");
        goto done;
    }

    if (build_cases(&o, n_shapes, graphs, cases, gc, err, sizeof err)) goto done;

    ecg_gbench_opts go = {.repetitions = 10};
    int n_ran, n_failed;
    if (ecg_gbench_time("bench-op", o.n_pass, o.pass, gc, n_cases, &go, res, &n_ran, &n_failed, err, sizeof err)) {
        rc = 2;
        goto done;
    }
    if (n_ran && write_outputs(&o, cases, res, n_cases, n_ran, argc, argv, err, sizeof err)) goto done;
    if (!n_ran) printf("bench-op: no case ran (filtered out or listed only); nothing written\n");
    rc = n_failed ? 1 : 0;
    if (n_failed) snprintf(err, sizeof err, "%d case(s) failed", n_failed);

done:
    if (err[0]) fprintf(stderr, "ecgbench bench-op: %s\n", err);
    for (int i = 0; cases && i < n_cases; i++) {
        if (cases[i].x) ecg_xnn_free(cases[i].x);
        if (cases[i].r) ecg_ref_free(cases[i].r);
    }
    for (int i = 0; graphs && i < n_graphs; i++) {
        if (graphs[i].built) ecg_graph_free(&graphs[i].g);
        free(graphs[i].input);
    }
    free(graphs);
    free(cases);
    free(gc);
    free(res);
    return rc;
}

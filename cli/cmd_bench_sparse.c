/* `ecgbench bench-sparse`: a pruned 1x1 conv1d (the expand / project layers of an MBConv block)
 * through the XNNPACK executor's dense op and through our own sparse kernel (ops/sparse_gemm.c),
 * at several unstructured sparsities. Each case is the whole executor (one node), operators and
 * packed weights created outside the timed loop. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "compress/compress.h"
#include "ops/isa.h"
#include "ops/ops.h"
#include "ops/rng.h"
#include "report/csv.h"

#define MAX_LIST 16
#define MAX_PASS 64

typedef enum { EX_DENSE, EX_SPARSE, EX_AUTO, EX_COUNT } executor;
static const char *const ex_names[EX_COUNT] = {"xnnpack-dense", "sparse", "auto"};
static const unsigned ex_flags[EX_COUNT] = {0u, ECG_XNN_SPARSE_ALWAYS, ECG_XNN_SPARSE};

typedef struct {
    int t, in, out;
} pw_shape;

typedef struct {
    pw_shape shapes[MAX_LIST];
    int n_shapes;
    int sparsity[MAX_LIST], n_sparsity; /* percent */
    int batch, threads;
    const char *out;
    char *pass[MAX_PASS];
    int n_pass;
} opts;

typedef struct {
    ecg_graph g;
    int built;
    pw_shape sh;
    int sparsity;
    size_t nnz;
    float *input;
    char shape_name[64];
} sp_graph;

typedef struct {
    sp_graph *graph;
    executor ex;
    ecg_xnn *x;
    int threads, lowered_sparse;
    char name[128];
} sp_case;

static void usage(FILE *f) {
    fprintf(f,
            "usage: ecgbench bench-sparse [options] [--benchmark_* flags]\n"
            "Times a pruned pointwise conv1d (kernel 1, bias, batch x T rows) through the XNNPACK executor:\n"
            "  xnnpack-dense  XNNPACK's dense convolution (the executor's normal lowering)\n"
            "  sparse         our sparse kernel, forced (ECG_XNN_SPARSE_ALWAYS)\n"
            "  auto           what the executor picks with ECG_XNN_SPARSE (times both at create time)\n"
            "Weights are U(-b, b) with the smallest |w| zeroed (unstructured magnitude pruning).\n"
            "  --shapes LIST      T:in:out triples (default 32:24:144,16:240:40,8:96:576,126:16:48: the\n"
            "                     expand/project 1x1 convs of efficientecg-s on mitdb-aami, blocks 3, 4, 8, 1)\n"
            "  --sparsity LIST    percent of weights zeroed (default 0,50,70,80,90,95)\n"
            "  --batch N          batch size (default 1)\n"
            "  --threads N        threads, 0 = all cores (default 1)\n"
            "  --out DIR          output directory (default reports/out): bench_sparse.csv, run.json\n"
            "Google Benchmark flags pass through (--benchmark_repetitions=N, default 10;\n"
            "--benchmark_min_time=S). speedup_vs_dense = dense median / this median, same shape and sparsity.\n");
}

static int parse_shapes(const char *s, opts *o) {
    o->n_shapes = 0;
    for (const char *p = s;;) {
        pw_shape sh;
        int used = 0;
        if (sscanf(p, "%d:%d:%d%n", &sh.t, &sh.in, &sh.out, &used) != 3 || sh.t < 1 || sh.in < 1 || sh.out < 1 ||
            sh.t > (1 << 20) || sh.in > (1 << 16) || sh.out > (1 << 16) || (p[used] != ',' && p[used] != 0)) {
            fprintf(stderr, "ecgbench bench-sparse: bad --shapes '%s' (T:in:out triples of positive integers, comma separated)\n", s);
            return -1;
        }
        if (o->n_shapes == MAX_LIST) {
            fprintf(stderr, "ecgbench bench-sparse: at most %d shapes\n", MAX_LIST);
            return -1;
        }
        o->shapes[o->n_shapes++] = sh;
        if (!p[used]) return 0;
        p += used + 1;
    }
}

/* 0 ok, 1 help, 2 usage error. */
static int parse_args(int argc, char **argv, opts *o) {
    memset(o, 0, sizeof *o);
    const char *shapes = "32:24:144,16:240:40,8:96:576,126:16:48", *sparsity = "0,50,70,80,90,95";
    long long v = 0;
    o->batch = 1;
    o->threads = 1;
    o->out = "reports/out";
    static const struct option lo[] = {{"shapes", 1, 0, 's'},  {"sparsity", 1, 0, 'p'}, {"batch", 1, 0, 'b'},
                                       {"threads", 1, 0, 'j'}, {"out", 1, 0, 'o'},      {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
    int n = 0, c, rc = 0;
    char **rest = ecg_gbench_split("bench-sparse", argc, argv, o->pass, &o->n_pass, MAX_PASS, &n);
    if (!rest) return 2;
    optind = 1;
    while (!rc && (c = getopt_long(n, rest, "", lo, NULL)) != -1) {
        switch (c) {
        case 's': shapes = optarg; break;
        case 'p': sparsity = optarg; break;
        case 'b': rc = ecg_arg_int("bench-sparse", "--batch", optarg, 1, 4096, &v) ? 2 : 0; o->batch = (int)v; break;
        case 'j': rc = ecg_arg_int("bench-sparse", "--threads", optarg, 0, 1024, &v) ? 2 : 0; o->threads = (int)v; break;
        case 'o':
            o->out = optarg;
            if (!optarg[0]) rc = (fprintf(stderr, "ecgbench bench-sparse: --out is empty\n"), 2);
            break;
        case 'h': usage(stdout); rc = 1; break;
        default: rc = 2;
        }
    }
    if (!rc && optind != n) rc = (fprintf(stderr, "ecgbench bench-sparse: unexpected argument '%s'\n", rest[optind]), 2);
    free(rest);
    if (rc) return rc;
    if (parse_shapes(shapes, o) ||
        ecg_arg_list("bench-sparse", "--sparsity", sparsity, 0, 100, o->sparsity, &o->n_sparsity, MAX_LIST))
        return 2;
    return 0;
}

static int build_graph(sp_graph *gr, const opts *o, char *err, size_t errlen) {
    ecg_graph *g = &gr->g;
    ecg_graph_init(g, 1);
    gr->built = 1;
    int x = ecg_input(g, "x", ecg_shape2(gr->sh.t, gr->sh.in));
    int y = ecg_conv1d(g, "pw", x, gr->sh.out, 1, 1, 1, 1, 1);
    if (y < 0 || g->err[0]) {
        snprintf(err, errlen, "%s: %s", gr->shape_name, g->err[0] ? g->err : "graph build failed");
        return -1;
    }
    ecg_graph_set_output(g, y);
    ecg_pruner p; /* the same magnitude pruning as `ecgbench compress --prune` */
    if (ecg_pruner_init(&p, g, (ecg_prune_cfg){.sparsity = gr->sparsity / 100.0, .global = 1}, err, errlen)) return -1;
    int rc = ecg_prune_to(&p, gr->sparsity / 100.0);
    gr->nnz = (size_t)ecg_prune_layer(&p, 0).nonzero;
    ecg_pruner_free(&p);
    if (rc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = (size_t)o->batch * (size_t)gr->sh.t * (size_t)gr->sh.in;
    if (!(gr->input = malloc(n * sizeof(float)))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ecg_rng r = {42};
    for (size_t i = 0; i < n; i++) gr->input[i] = ecg_rng_normal(&r);
    return 0;
}

static int run_case(void *p) { return ecg_xnn_run(((sp_case *)p)->x); }

static int write_csv(const char *path, const sp_case *cases, const ecg_gbench_result *res, int n, const opts *o,
                     char *err, size_t errlen) {
    static const char *const cols[] = {"shape", "sparsity", "executor", "median_us", "p90_us", "speedup_vs_dense",
                                       "t", "in", "out", "nnz", "lowered_sparse", "batch", "threads", "isa",
                                       "iterations", "repetitions", "min_us", "mean_us", "stddev_us"};
    ecg_csv w;
    ecg_csv_open(&w, path);
    ecg_csv_header(&w, cols, (int)(sizeof cols / sizeof cols[0]));
    for (int i = 0; i < n; i++) {
        const sp_case *c = &cases[i];
        const ecg_gbench_result *r = &res[i];
        if (!r->ran) continue;
        /* the dense case of the same graph: cases are laid out graph-major, executor-minor */
        const ecg_gbench_result *d = &res[i - (int)c->ex + EX_DENSE];
        ecg_csv_str(&w, c->graph->shape_name);
        ecg_csv_int(&w, c->graph->sparsity);
        ecg_csv_str(&w, ex_names[c->ex]);
        ecg_csv_num(&w, r->median * 1e6);
        ecg_csv_num(&w, r->p90 * 1e6);
        ecg_csv_num(&w, d->ran && r->median > 0 ? d->median / r->median : NAN);
        ecg_csv_int(&w, c->graph->sh.t);
        ecg_csv_int(&w, c->graph->sh.in);
        ecg_csv_int(&w, c->graph->sh.out);
        ecg_csv_int(&w, (long long)c->graph->nnz);
        ecg_csv_int(&w, c->lowered_sparse);
        ecg_csv_int(&w, o->batch);
        ecg_csv_int(&w, c->threads);
        ecg_csv_str(&w, c->lowered_sparse ? ecg_isa_name(ecg_isa_best()) : "xnnpack");
        ecg_csv_int(&w, (long long)r->iterations);
        ecg_csv_int(&w, r->repetitions);
        ecg_csv_num(&w, r->min * 1e6);
        ecg_csv_num(&w, r->mean * 1e6);
        ecg_csv_num(&w, r->stddev * 1e6);
        ecg_csv_end_row(&w);
    }
    if (ecg_csv_close(&w)) {
        snprintf(err, errlen, "%s: %s", path, w.err);
        return -1;
    }
    return 0;
}

/* Every shape and sparsity's graph, and a case per executor on it. */
static int build_cases(const opts *o, sp_graph *graphs, sp_case *cases, ecg_gbench_case *gc, char *err, size_t errlen) {
    char msg[ECG_ERR_LEN];
    for (int s = 0, gi = 0; s < o->n_shapes; s++)
        for (int p = 0; p < o->n_sparsity; p++, gi++) {
            sp_graph *gr = &graphs[gi];
            gr->sh = o->shapes[s];
            gr->sparsity = o->sparsity[p];
            snprintf(gr->shape_name, sizeof gr->shape_name, "T%d/%d->%d", gr->sh.t, gr->sh.in, gr->sh.out);
            if (build_graph(gr, o, err, errlen)) return -1;
            for (int e = 0; e < EX_COUNT; e++) {
                sp_case *c = &cases[gi * EX_COUNT + e];
                c->graph = gr;
                c->ex = (executor)e;
                snprintf(c->name, sizeof c->name, "pw/%s/s%d/%s", gr->shape_name, gr->sparsity, ex_names[e]);
                if (!(c->x = ecg_xnn_create(&gr->g, o->batch, o->threads, ex_flags[e], msg, sizeof msg))) {
                    snprintf(err, errlen, "%s: %s", c->name, msg);
                    return -1;
                }
                c->threads = ecg_xnn_threads(c->x);
                c->lowered_sparse = ecg_xnn_get_stats(c->x).n_sparse;
                memcpy(ecg_xnn_input(c->x, 0), gr->input,
                       (size_t)o->batch * (size_t)gr->sh.t * (size_t)gr->sh.in * sizeof(float));
                gc[gi * EX_COUNT + e] = (ecg_gbench_case){c->name, run_case, c, 0, NULL, NULL};
            }
        }
    return 0;
}

/* bench_sparse.csv and run.json, once some case ran. */
static int write_outputs(const opts *o, const sp_case *cases, const ecg_gbench_result *res, int n_cases, int n_ran,
                         int argc, char **argv, char *err, size_t errlen) {
    char path[4096];
    snprintf(path, sizeof path, "%s/bench_sparse.csv", o->out);
    if (write_csv(path, cases, res, n_cases, o, err, errlen)) return -1;
    printf("bench-sparse: %d case(s) -> %s\n", n_ran, path);
    ecg_run_info ri;
    ecg_run_info_collect(&ri, cases[0].threads, argc, argv);
    snprintf(path, sizeof path, "%s/run.json", o->out);
    if (ecg_run_info_write(&ri, path, err, errlen)) return -1;
    printf("bench-sparse: run metadata -> %s\n", path);
    return 0;
}

int ecg_cmd_bench_sparse(int argc, char **argv) {
    opts o;
    int prc = parse_args(argc, argv, &o);
    if (prc) return prc == 1 ? 0 : 2;
    int n_graphs = o.n_shapes * o.n_sparsity, n_cases = n_graphs * EX_COUNT;
    sp_graph *graphs = calloc((size_t)n_graphs, sizeof *graphs);
    sp_case *cases = calloc((size_t)n_cases, sizeof *cases);
    ecg_gbench_case *gc = calloc((size_t)n_cases, sizeof *gc);
    ecg_gbench_result *res = calloc((size_t)n_cases, sizeof *res);
    char err[1024] = "";
    int rc = 1;
    if (!graphs || !cases || !gc || !res) {
        snprintf(err, sizeof err, "out of memory");
        goto done;
    }
    if (build_cases(&o, graphs, cases, gc, err, sizeof err)) goto done;
    ecg_gbench_opts go = {.repetitions = 10};
    int n_ran, n_failed;
    if (ecg_gbench_time("bench-sparse", o.n_pass, o.pass, gc, n_cases, &go, res, &n_ran, &n_failed, err, sizeof err)) {
        rc = 2;
        goto done;
    }
    if (n_ran && write_outputs(&o, cases, res, n_cases, n_ran, argc, argv, err, sizeof err)) goto done;
    if (!n_ran) printf("bench-sparse: no case ran (filtered out or listed only); nothing written\n");
    rc = n_failed ? 1 : 0;
    if (n_failed) snprintf(err, sizeof err, "%d case(s) failed", n_failed);
done:
    if (err[0]) fprintf(stderr, "ecgbench bench-sparse: %s\n", err);
    for (int i = 0; cases && i < n_cases; i++)
        if (cases[i].x) ecg_xnn_free(cases[i].x);
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

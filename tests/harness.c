#include "harness.h"
#include "ops/rng.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

test_state test_st;

void test_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  FAIL %s (%s:%d): ", test_st.current, file, line);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    test_st.checks_failed_in_test++;
}

void test_run(const char *name, void (*fn)(void)) {
    test_st.current = name;
    test_st.checks_failed_in_test = 0;
    test_st.skips_in_test = 0;
    fn();
    if (test_st.checks_failed_in_test) {
        test_st.failed++;
        printf("  not ok  %s\n", name);
    } else if (test_st.skips_in_test) {
        test_st.skipped++;
        printf("  skipped %s: %s", name, test_st.skip_reason);
        if (test_st.skips_in_test > 1) printf(" (and %d more skips)", test_st.skips_in_test - 1);
        printf("\n");
    } else {
        test_st.passed++;
        printf("  ok      %s\n", name);
    }
    fflush(stdout);
}

void test_skip(const char *fmt, ...) {
    if (test_st.skips_in_test++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(test_st.skip_reason, sizeof test_st.skip_reason, fmt, ap);
        va_end(ap);
    }
}

int test_need_file(const char *path) {
    if (access(path, F_OK) == 0) return 1;
    test_skip("no %s (run from the repo root)", path);
    return 0;
}

int test_done(void) {
    printf("RESULT %d passed, %d failed, %d skipped\n", test_st.passed, test_st.failed, test_st.skipped);
    return test_st.failed ? 1 : 0;
}

double rel_err_f(const float *a, const float *b, size_t n) {
    double diff = 0, scale = 1e-30;
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i]) != isnan(b[i])) return INFINITY;
        diff = fmax(diff, fabs((double)a[i] - (double)b[i]));
        scale = fmax(scale, fabs((double)b[i]));
    }
    return diff / scale;
}

double rel_err_d(const double *a, const double *b, size_t n) {
    double diff = 0, scale = 1e-30;
    for (size_t i = 0; i < n; i++) {
        if (isnan(a[i]) != isnan(b[i])) return INFINITY;
        diff = fmax(diff, fabs(a[i] - b[i]));
        scale = fmax(scale, fabs(b[i]));
    }
    return diff / scale;
}

/* The first space-separated path of probes that is not readable under dir, copied into missing;
 * 0 when all are. */
static int first_missing(const char *dir, const char *probes, char *missing, size_t missing_n) {
    for (const char *p = probes; *p;) {
        size_t len = strcspn(p, " ");
        if (len) {
            char path[1200];
            snprintf(path, sizeof path, "%s/%.*s", dir, (int)len, p);
            if (access(path, R_OK) != 0) {
                snprintf(missing, missing_n, "%.*s", (int)len, p);
                return 1;
            }
        }
        p += len;
        p += strspn(p, " ");
    }
    return 0;
}

const char *test_find_data(const char *probes, char *buf, size_t n, char *missing, size_t missing_n) {
    const char *env = getenv("ECG_DATA_DIR");
    const char *cands[3] = {env && *env ? env : NULL, "data", "../shared/data"};
    int named = 0;
    snprintf(missing, missing_n, "%.*s", (int)strcspn(probes, " "), probes);
    for (int i = 0; i < 3; i++) {
        char first[512];
        if (!cands[i]) continue;
        if (!first_missing(cands[i], probes, first, sizeof first)) {
            snprintf(buf, n, "%s", cands[i]);
            return buf;
        }
        /* name the file missing from the first folder that exists: the one a user would fill */
        if (!named && access(cands[i], F_OK) == 0) snprintf(missing, missing_n, "%s", first), named = 1;
    }
    return NULL;
}

const char *test_data_dir(const char *probes, char *buf, size_t n) {
    char missing[512];
    if (test_find_data(probes, buf, n, missing, sizeof missing)) return buf;
    test_skip("no %s under $ECG_DATA_DIR, data/ or ../shared/data (make data)", missing);
    return NULL;
}

int test_count_temp_files(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp")) n++;
    if (d) closedir(d);
    return n;
}

char *test_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1))) {
        if (fread(s, 1, (size_t)n, f) == (size_t)n) {
            s[n] = 0;
        } else {
            free(s);
            s = NULL;
        }
    }
    fclose(f);
    return s;
}

char *test_capture_stdout(int (*cmd)(int, char **), int argc, char **argv, int *rc) {
    char tmp[] = "/tmp/ecg_stdout_XXXXXX";
    int fd = mkstemp(tmp), saved = dup(STDOUT_FILENO);
    char *out = NULL;
    *rc = -1;
    if (fd >= 0 && saved >= 0) {
        fflush(stdout);
        dup2(fd, STDOUT_FILENO);
        *rc = cmd(argc, argv);
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        out = test_read_file(tmp);
    }
    if (fd >= 0) close(fd), unlink(tmp);
    if (saved >= 0) close(saved);
    return out;
}

void fill_normal(float *x, size_t n, ecg_rng *r, float scale) {
    for (size_t i = 0; i < n; i++) x[i] = scale * ecg_rng_normal(r);
}

int rand_int(ecg_rng *r, int lo, int hi) { return lo + (int)(ecg_rng_next(r) % (uint64_t)(hi - lo + 1)); }

/* ---- op_check ------------------------------------------------------------------------------ */

typedef struct {
    const ecg_graph *g;
    const ecg_node *n;
    naive_forward naive;
    int batch;
    double *in[ECG_MAX_IN]; /* per graph input */
    double *w[ECG_MAX_PARAMS];
    double *out;
    const double *r;        /* loss = sum(out * r) */
    size_t out_n;
} naive_ctx;

static void naive_run(naive_ctx *c) {
    const double *in[ECG_MAX_IN];
    ecg_shape in_shape[ECG_MAX_IN];
    for (int j = 0; j < c->n->n_in; j++) {
        in_shape[j] = c->g->values[c->n->in[j]].shape;
        in[j] = NULL;
        for (int i = 0; i < c->g->n_inputs; i++)
            if (c->g->inputs[i] == c->n->in[j]) in[j] = c->in[i];
    }
    c->naive(c->n, c->batch, in, in_shape, (const double *const *)c->w, c->out, &c->g->values[c->n->out].shape);
}

static double naive_loss(naive_ctx *c) {
    naive_run(c);
    double l = 0;
    for (size_t i = 0; i < c->out_n; i++) l += c->out[i] * c->r[i];
    return l;
}

/* Central differences at up to max_pts random coordinates of x; compares with grad. */
static double fd_compare(naive_ctx *c, double *x, size_t n, const float *grad, int max_pts, ecg_rng *rng) {
    int pts = n < (size_t)max_pts ? (int)n : max_pts;
    double *num = malloc(sizeof(double) * (size_t)pts), *ana = malloc(sizeof(double) * (size_t)pts);
    for (int p = 0; p < pts; p++) {
        size_t i = n <= (size_t)max_pts ? (size_t)p : (size_t)(ecg_rng_next(rng) % n);
        double x0 = x[i], h = 1e-6 * fmax(1.0, fabs(x0));
        x[i] = x0 + h;
        double lp = naive_loss(c);
        x[i] = x0 - h;
        double lm = naive_loss(c);
        x[i] = x0;
        num[p] = (lp - lm) / (2 * h);
        ana[p] = grad[i];
    }
    double e = rel_err_d(ana, num, (size_t)pts);
    free(num);
    free(ana);
    return e;
}

int op_check(const char *label, ecg_graph *g, naive_forward naive, const op_check_opts *o) {
    int before = test_st.checks_failed_in_test;
    double fwd_tol = o->fwd_tol > 0 ? o->fwd_tol : 1e-5, bwd_tol = o->bwd_tol > 0 ? o->bwd_tol : 1e-3;
    int max_pts = o->max_fd_points > 0 ? o->max_fd_points : 48;
    int batch = o->batch > 0 ? o->batch : 2;
    ecg_rng rng = {o->seed ? o->seed : 12345};
    CHECK(!g->err[0], "%s: build error: %s", label, g->err);
    if (g->err[0] || g->n_nodes != 1) {
        CHECK(g->n_nodes == 1, "%s: op_check wants exactly one node", label);
        return -1;
    }
    ecg_graph_set_output(g, g->nodes[0].out);
    ecg_graph_alloc_grads(g);
    char err[256];
    ecg_ref *ref = ecg_ref_create(g, batch, err, sizeof err);
    CHECK(ref != NULL, "%s: %s", label, err);
    if (!ref) return -1;

    naive_ctx c = {.g = g, .n = &g->nodes[0], .naive = naive, .batch = batch};
    float *inputs[ECG_MAX_IN] = {0};
    for (int i = 0; i < g->n_inputs; i++) {
        size_t n = (size_t)batch * (size_t)ecg_shape_numel(&g->values[g->inputs[i]].shape);
        inputs[i] = malloc(n * sizeof(float));
        if (o->input_values[i]) memcpy(inputs[i], o->input_values[i], n * sizeof(float));
        else fill_normal(inputs[i], n, &rng, 1.0f);
        c.in[i] = malloc(n * sizeof(double));
        for (size_t j = 0; j < n; j++) c.in[i][j] = inputs[i][j];
    }
    for (int j = 0; j < c.n->n_param; j++) {
        ecg_param *p = &g->params[c.n->param[j]];
        size_t n = (size_t)ecg_shape_numel(&p->shape);
        c.w[j] = malloc((n + 1) * sizeof(double));
        for (size_t i = 0; i < n; i++) c.w[j][i] = p->data[i];
    }
    c.out_n = (size_t)batch * (size_t)ecg_shape_numel(&g->values[g->output].shape);
    c.out = malloc(c.out_n * sizeof(double));
    double *r = malloc(c.out_n * sizeof(double));
    float *rf = malloc(c.out_n * sizeof(float));
    for (size_t i = 0; i < c.out_n; i++) rf[i] = (float)(r[i] = ecg_rng_normal(&rng));
    c.r = r;

    /* forward: kernel (f32) vs naive (double) */
    ecg_ref_forward(ref, (const float *const *)inputs, o->training, 7);
    naive_run(&c);
    float *naive_f = malloc(c.out_n * sizeof(float));
    for (size_t i = 0; i < c.out_n; i++) naive_f[i] = (float)c.out[i];
    double fe = rel_err_f(ecg_ref_output(ref), naive_f, c.out_n);
    CHECK(fe <= fwd_tol, "%s: forward rel err %.3g > %.1g", label, fe, fwd_tol);

    /* backward: kernel vs central differences of the naive forward */
    ecg_graph_zero_grads(g);
    ecg_ref_backward(ref, rf);
    for (int i = 0; i < g->n_inputs && !o->no_input_grad; i++) {
        size_t n = (size_t)batch * (size_t)ecg_shape_numel(&g->values[g->inputs[i]].shape);
        double e = fd_compare(&c, c.in[i], n, ecg_ref_grad(ref, g->inputs[i]), max_pts, &rng);
        CHECK(e <= bwd_tol, "%s: d/d(input %d) rel err %.3g > %.1g", label, i, e, bwd_tol);
    }
    for (int j = 0; j < c.n->n_param; j++) {
        ecg_param *p = &g->params[c.n->param[j]];
        if (!p->trainable) continue;
        double e = fd_compare(&c, c.w[j], (size_t)ecg_shape_numel(&p->shape), p->grad, max_pts, &rng);
        CHECK(e <= bwd_tol, "%s: d/d(%s) rel err %.3g > %.1g", label, p->name, e, bwd_tol);
    }

    for (int i = 0; i < g->n_inputs; i++) {
        free(inputs[i]);
        free(c.in[i]);
    }
    for (int j = 0; j < c.n->n_param; j++) free(c.w[j]);
    free(c.out);
    free(r);
    free(rf);
    free(naive_f);
    ecg_ref_free(ref);
    return test_st.checks_failed_in_test == before ? 0 : -1;
}

/* ---- xnn_check ----------------------------------------------------------------------------- */

int xnn_check(const char *label, ecg_graph *g, int batch, int threads, unsigned flags, double tol, uint64_t seed) {
    int before = test_st.checks_failed_in_test;
    char err[512];
    CHECK(ecg_backend_init(err, sizeof err) == 0, "%s: backend init: %s", label, err);
    ecg_ref *ref = ecg_ref_create(g, batch, err, sizeof err);
    CHECK(ref != NULL, "%s: ref: %s", label, err);
    ecg_xnn *x = ecg_xnn_create(g, batch, threads, flags, err, sizeof err);
    CHECK(x != NULL, "%s: xnn: %s", label, err);
    if (ref && x) {
        ecg_rng rng = {seed};
        float *inputs[ECG_MAX_IN] = {0};
        for (int i = 0; i < g->n_inputs; i++) {
            size_t n = (size_t)batch * (size_t)ecg_shape_numel(&g->values[g->inputs[i]].shape);
            inputs[i] = malloc(n * sizeof(float));
            fill_normal(inputs[i], n, &rng, 1.0f);
            memcpy(ecg_xnn_input(x, i), inputs[i], n * sizeof(float));
        }
        ecg_ref_forward(ref, (const float *const *)inputs, 0, 0);
        /* NaN == NaN would count as agreement below: the reference must give finite numbers */
        size_t n_out = (size_t)batch * (size_t)ecg_shape_numel(&g->values[g->output].shape);
        int finite = 1;
        for (size_t i = 0; i < n_out; i++) finite &= isfinite(ecg_ref_output(ref)[i]) != 0;
        CHECK(finite, "%s: reference output is not finite", label);
        /* run twice: operators are created once and must give the same answer on re-run */
        for (int rep = 0; rep < 2; rep++) {
            CHECK(ecg_xnn_run(x) == 0, "%s: xnn run failed", label);
            double e = rel_err_f(ecg_xnn_output(x), ecg_ref_output(ref), n_out);
            CHECK(e <= tol, "%s: xnnpack vs reference rel err %.3g > %.1g (run %d)", label, e, tol, rep);
        }
        for (int i = 0; i < g->n_inputs; i++) free(inputs[i]);
    }
    ecg_xnn_free(x);
    ecg_ref_free(ref);
    return test_st.checks_failed_in_test == before ? 0 : -1;
}

int test_same_params(const ecg_graph *a, const ecg_graph *b) {
    if (a->n_params != b->n_params) return 0;
    for (int i = 0; i < a->n_params; i++)
        if (!ecg_shape_eq(&a->params[i].shape, &b->params[i].shape) ||
            memcmp(a->params[i].data, b->params[i].data, (size_t)ecg_shape_numel(&a->params[i].shape) * sizeof(float)))
            return 0;
    return 1;
}

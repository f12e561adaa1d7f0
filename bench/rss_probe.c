/* Peak memory of a single inference: `ecgbench rss-probe DIR [--batch N]` builds a run's model,
 * loads its weights, plans the XNNPACK executor and runs one batch, in a fresh process, so its
 * peak resident set (getrusage of that child) is what a deployment running this model needs,
 * with nothing of the parent (loaded datasets, other models) counted. */
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"

extern char **environ;

int ecg_cmd_rss_probe(int argc, char **argv) {
    long long batch = 1;
    if (!(argc == 2 || (argc == 4 && !strcmp(argv[2], "--batch")))) {
        fprintf(stderr, "usage: ecgbench rss-probe DIR [--batch N]  (one inference, for peak-RSS measurement)\n");
        return 2;
    }
    if (argc == 4 && ecg_arg_int("rss-probe", "--batch", argv[3], 1, 4096, &batch)) return 2;
    char err[1400];
    ecg_run r;
    ecg_graph g = {0};
    ecg_xnn *x = NULL;
    int rc = 1;
    if (ecg_run_read(argv[1], &r, err, sizeof err)) goto fail;
    if (ecg_backend_init(err, sizeof err) || ecg_run_build(&r, &g, err, sizeof err) ||
        !(x = ecg_xnn_create(&g, (int)batch, 1, 0, err, sizeof err)))
        goto fail;
    for (int i = 0; i < g.n_inputs; i++) { /* zeros are a valid input; the values do not change memory use */
        float *in = ecg_xnn_input(x, i);
        memset(in, 0, sizeof(float) * (size_t)batch * (size_t)ecg_shape_numel(&g.values[g.inputs[i]].shape));
    }
    if (ecg_xnn_run(x)) {
        snprintf(err, sizeof err, "%s: the XNNPACK run failed", argv[1]);
        goto fail;
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "ecgbench rss-probe: %s\n", err);
done:
    ecg_xnn_free(x);
    ecg_graph_free(&g);
    if (r.man) ecg_run_free(&r);
    return rc;
}

long ecg_peak_rss_kb(const char *run_dir, int batch, char *err, size_t errlen) {
    char b[32];
    snprintf(b, sizeof b, "%d", batch);
    char *args[] = {"ecgbench", "rss-probe", (char *)run_dir, "--batch", b, NULL};
    /* This binary, unless $ECGBENCH names another: a test binary calling the report must not
     * spawn itself. */
    const char *exe = getenv("ECGBENCH") && *getenv("ECGBENCH") ? getenv("ECGBENCH") : "/proc/self/exe";
    pid_t pid;
    int e = posix_spawn(&pid, exe, NULL, NULL, args, environ);
    if (e) {
        snprintf(err, errlen, "cannot start the rss probe: %s", strerror(e));
        return -1;
    }
    int status;
    struct rusage ru;
    pid_t w;
    while ((w = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR) {
    }
    if (w != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "the rss probe of %s failed (see its message above)", run_dir);
        return -1;
    }
    return ru.ru_maxrss; /* kilobytes on Linux */
}

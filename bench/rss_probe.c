/* Peak memory of a single inference: `ecgbench rss-probe DIR [--batch N]` builds a run's model,
 * loads its weights, plans the XNNPACK executor, runs one batch and prints its own peak resident
 * set (VmHWM of /proc/self/status). Run in a fresh process, that is what a deployment running
 * this model needs, with nothing of the parent (loaded datasets, other models) counted. (The
 * child's rusage would not do: Linux carries the pre-exec high-water mark into ru_maxrss, and a
 * spawned child shares the parent's memory until it execs.) */
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
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
    ecg_run_model m = {0};
    ecg_xnn *x = NULL;
    int rc = 1;
    if (ecg_run_read(argv[1], &r, err, sizeof err)) goto fail;
    if (ecg_backend_init(err, sizeof err) || ecg_run_open(&r, &m, err, sizeof err) ||
        !(x = ecg_run_executor(&m, (int)batch, 1, err, sizeof err)))
        goto fail;
    const ecg_graph *g = m.int8 ? &m.gi : &m.g;
    for (int i = 0; i < g->n_inputs; i++) { /* zeros are a valid input; the values do not change memory use */
        float *in = ecg_xnn_input(x, i);
        memset(in, 0, sizeof(float) * (size_t)batch * (size_t)ecg_shape_numel(&g->values[g->inputs[i]].shape));
    }
    if (ecg_xnn_run(x)) {
        snprintf(err, sizeof err, "%s: the XNNPACK run failed", argv[1]);
        goto fail;
    }
    long hwm = -1;
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &hwm) == 1) break;
    if (f) fclose(f);
    if (hwm < 0) {
        snprintf(err, sizeof err, "cannot read VmHWM from /proc/self/status");
        goto fail;
    }
    printf("peak_rss_kb %ld\n", hwm);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "ecgbench rss-probe: %s\n", err);
done:
    ecg_xnn_free(x);
    ecg_run_model_free(&m);
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
    int fd[2];
    if (pipe(fd)) {
        snprintf(err, errlen, "cannot start the rss probe: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    pid_t pid;
    int e = posix_spawn(&pid, exe, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (e) {
        close(fd[0]);
        snprintf(err, errlen, "cannot start the rss probe %s: %s", exe, strerror(e));
        return -1;
    }
    char out[256] = "";
    size_t got = 0;
    ssize_t r;
    while (got < sizeof out - 1 && ((r = read(fd[0], out + got, sizeof out - 1 - got)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0) got += (size_t)r;
    out[got] = 0;
    close(fd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    long kb = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || sscanf(out, "peak_rss_kb %ld", &kb) != 1) {
        snprintf(err, errlen, "the rss probe of %s failed (see its message above)", run_dir);
        return -1;
    }
    return kb;
}

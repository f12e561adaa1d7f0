/* Peak memory of a single inference: `ecgbench rss-probe DIR [--batch N]` (ecg_rss_probe_run) builds a run's model,
 * loads its weights, plans the XNNPACK executor, runs one batch and prints its own peak resident
 * set (VmHWM of /proc/self/status). Run in a fresh process, that is what a deployment running
 * this model needs, with nothing of the parent (loaded datasets, other models) counted. (The
 * child's rusage would not do: Linux carries the pre-exec high-water mark into ru_maxrss, and a
 * spawned child shares the parent's memory until it execs.) */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "runs/runs.h"

extern char **environ;

int ecg_rss_probe_run(const char *run_dir, int batch, long *peak_kb, char *err, size_t errlen) {
    ecg_run r = {0};
    ecg_run_model m = {0};
    ecg_xnn *x[ECG_RUN_MAX_MEMBERS] = {0};
    int rc = -1, n_x = 0;
    if (ecg_run_read(run_dir, &r, err, errlen)) goto done;
    if (ecg_backend_init(err, errlen) || ecg_run_open_any(&r, &m, err, errlen)) goto done;
    /* every model the run executes (an ensemble: each member, all held at once, as a deployment holds them) */
    for (; n_x < ecg_run_model_parts(&m); n_x++) {
        const ecg_run_model *part = ecg_run_model_part(&m, n_x);
        if (!(x[n_x] = ecg_run_executor(part, batch, 1, err, errlen))) goto done;
        const ecg_graph *g = part->int8 ? &part->gi : &part->g;
        for (int i = 0; i < g->n_inputs; i++) { /* zeros are a valid input; the values do not change memory use */
            float *in = ecg_xnn_input(x[n_x], i);
            memset(in, 0, sizeof(float) * (size_t)batch * (size_t)ecg_shape_numel(&g->values[g->inputs[i]].shape));
        }
    }
    for (int i = 0; i < n_x; i++)
        if (ecg_xnn_run(x[i])) {
            snprintf(err, errlen, "%s: the XNNPACK run failed", run_dir);
            goto done;
        }
    long hwm = -1;
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &hwm) == 1) break;
    if (f) fclose(f);
    if (hwm < 0) {
        snprintf(err, errlen, "cannot read VmHWM from /proc/self/status");
        goto done;
    }
    *peak_kb = hwm;
    rc = 0;
done:
    for (int i = 0; i < n_x; i++) ecg_xnn_free(x[i]);
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

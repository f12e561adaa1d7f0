/* Run folders that are whole or not runs at all (issue 22 item 2), through the commands on the
 * bundled sample: a manifest written last vouches for its files, so new weights under an old
 * manifest (a kill or a failed manifest write between the two) are not taken for the old run by
 * results, eval or a listing; train, compress and report refuse a folder that holds a run without
 * --force, and train --resume one whose configuration differs. A failed write is simulated with
 * ECG_TEST_FAIL_WRITE (ops/atomic_file.h); kills with SIGKILL at several points of a compress --force
 * over a finished run, and with ECG_TEST_KILL_AFTER right after every rename of a train --force
 * and a report --force. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "../compress/compress.h"
#include "../ops/file_sha256.h"
#include "../runs/files.h"
#include "../runs/pipelines.h"
#include "../runs/runs.h"
#include "harness.h"

static char scratch[] = "/tmp/ecgbench_folders_XXXXXX";

static void sha_of(const char *path, char hex[65]) {
    char err[512];
    int64_t bytes;
    if (ecg_file_sha256(path, hex, &bytes, err, sizeof err)) {
        CHECK(0, "%s", err);
        hex[0] = 0;
    }
}

static char run[200], out[200];

static int have_run(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return 0;
    if (run[0]) return 1;
    char cache[200];
    snprintf(cache, sizeof cache, "%s/cache", scratch);
    setenv("ECG_CACHE_DIR", cache, 1);
    if (!getenv("ECGBENCH")) setenv("ECGBENCH", "build/asan/ecgbench", 1); /* report's peak-RSS probe runs it */
    snprintf(run, sizeof run, "%s/runs/s", scratch);
    char *train[] = {"train", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                     "--threads", "2", "--out", run, "--quiet"};
    int rc = ecg_cmd_train(13, train);
    CHECK(rc == 0, "train failed");
    if (rc) run[0] = 0;
    return rc == 0;
}

static double prune_sparsity(const cJSON *man) {
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(man, "passes")) {
        const cJSON *s = cJSON_GetObjectItem(p, "sparsity");
        if (cJSON_IsNumber(s)) return s->valuedouble;
    }
    return NAN;
}

/* The zero fraction of a run's prunable weights beyond the stem, from its weights file. */
static double weights_sparsity(const ecg_run *r) {
    ecg_run_model m;
    char err[512];
    if (ecg_run_open(r, &m, err, sizeof err)) {
        CHECK(0, "%s", err);
        return NAN;
    }
    int ids[512], n = ecg_prunable_params(&m.g, ids, 512);
    int64_t total = 0, zeros = 0;
    for (int i = 1; i < n; i++) {
        const ecg_param *p = &m.g.params[ids[i]];
        for (int64_t k = 0; k < ecg_shape_numel(&p->shape); k++) zeros += p->data[k] == 0.0f, total++;
    }
    ecg_run_model_free(&m);
    return total ? (double)zeros / (double)total : NAN;
}

static int compress_to(const char *sparsity, int force) {
    char *argv[] = {"compress", run, "--prune", (char *)sparsity, "--dense-first", "--finetune-epochs", "1",
                    "--threads", "2", "--out", out, "--quiet", "--force"};
    return ecg_cmd_compress(force ? 13 : 12, argv);
}

/* The case: `compress --out OUT` over an earlier run writes the new weights, then the
 * manifest write fails (a kill or a full disk there): the folder must not pass for the earlier
 * run. Before the manifests named their files, `results` and `report` took the new 90% weights
 * as the earlier 50% run. */
static void test_compress_weights_without_their_manifest(void) {
    if (!have_run()) return;
    snprintf(out, sizeof out, "%s/runs/s-pruned", scratch);
    CHECK(compress_to("0.5", 0) == 0, "compress failed");
    char man_path[300], err[1024], before[65], after[65];
    snprintf(man_path, sizeof man_path, "%s/manifest.json", out);
    ecg_run r;
    CHECK(ecg_run_read(out, &r, err, sizeof err) == 0, "%s", err);
    if (r.man) {
        CHECK(cJSON_GetObjectItem(r.man, "files") != NULL, "the manifest names no files");
        CHECK(fabs(weights_sparsity(&r) - prune_sparsity(r.man)) < 0.01, "a finished run's weights are not its manifest's");
    }
    ecg_run_free(&r);
    sha_of(man_path, before);

    /* without --force: refused, nothing touched */
    CHECK(compress_to("0.9", 0) == 1, "compress over a finished run without --force was not refused");
    sha_of(man_path, after);
    CHECK(!strcmp(before, after), "the refused compress changed the manifest");

    /* --force, and the manifest write fails after the weights are in place */
    setenv("ECG_TEST_FAIL_WRITE", man_path, 1);
    CHECK(compress_to("0.9", 1) == 1, "the failed manifest write was not an error");
    unsetenv("ECG_TEST_FAIL_WRITE");
    sha_of(man_path, after);
    CHECK(!strcmp(before, after), "the old manifest should still be there (the new one failed)");
    CHECK(ecg_run_read(out, &r, err, sizeof err) == -1 && strstr(err, "weights.sparse.safetensors"),
          "new weights under the old manifest were read as a finished run: '%s'", err);
    ecg_run_free(&r);
    /* a listing (results, report, latency) skips it, and says so */
    char root[300];
    snprintf(root, sizeof root, "%s/runs", scratch);
    ecg_run *runs;
    int n;
    CHECK(ecg_runs_list(root, &runs, &n, err, sizeof err) == 0, "%s", err);
    int listed = 0;
    for (int i = 0; i < n; i++) listed += strstr(runs[i].dir, "s-pruned") != NULL;
    CHECK(n == 1 && !listed, "the half-written run was listed (%d runs)", n);
    ecg_runs_free(runs, n);
    char *results[] = {"results", root};
    int rc;
    char *said = test_capture_stdout(ecg_cmd_results, 2, results, &rc);
    CHECK(said && !strstr(said, "pruned"), "results shows the half-written run: %s", said ? said : "");
    free(said);
    char *eval[] = {"eval", out};
    CHECK(ecg_cmd_eval(2, eval) == 1, "eval took the half-written run");

    /* done again, it is the new run, whole */
    CHECK(compress_to("0.9", 1) == 0, "compress --force failed");
    CHECK(ecg_run_read(out, &r, err, sizeof err) == 0, "%s", err);
    if (r.man) CHECK(fabs(weights_sparsity(&r) - 0.9) < 0.01 && prune_sparsity(r.man) == 0.9, "not the new run");
    ecg_run_free(&r);
}

/* SIGKILL at several points of `compress --force` over a finished run (30, 60, 90 and 130% of its
 * time, and twice right after its new weights are renamed into place, before the manifest: the
 * ECG_TEST_KILL_AFTER hook, exact whatever the machine's load):
 * afterwards the folder reads either as a whole run (its weights as sparse as its manifest says:
 * the old or the new one) or not at all, with a message naming the file; never the new weights
 * under the old manifest. */
static void test_compress_killed_at_several_points(void) {
    if (!have_run() || !out[0]) return;
    /* how long a compress takes in a child process, from fork to exit */
    struct timespec t0, t1;
    CHECK(compress_to("0.5", 1) == 0, "compress failed");
    fflush(NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1), dup2(null, 2);
        _exit(compress_to("0.9", 1));
    }
    int status;
    waitpid(pid, &status, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "compress in a child failed");
    double whole = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    /* fractions of that time; 0: the moment the new weights file is renamed into place (the
     * manifest not yet written: where the compress left new weights under the old one) */
    const double at[] = {0.3, 0, 0.6, 0, 0.9, 1.3};
    int whole_old = 0, whole_new = 0, refused = 0;
    for (size_t k = 0; k < sizeof at / sizeof *at; k++) {
        const char *next = k % 2 ? "0.9" : "0.5"; /* over a finished run of the other sparsity */
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1), dup2(null, 2);
            if (at[k] == 0) setenv("ECG_TEST_KILL_AFTER", "/weights.sparse.safetensors", 1);
            _exit(compress_to(next, 1));
        }
        if (at[k] > 0) {
            usleep((useconds_t)(at[k] * whole * 1e6));
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        } else { /* the child kills itself right after the rename (ops/atomic_file.h) */
            waitpid(pid, &status, 0);
            CHECK(WIFSIGNALED(status), "kill %zu: compress ended before its new weights were renamed in", k);
        }
        ecg_run r;
        char err[1024];
        if (ecg_run_read(out, &r, err, sizeof err) == 0) {
            double w = weights_sparsity(&r), m = prune_sparsity(r.man);
            CHECK(fabs(w - m) < 0.01, "kill %zu: weights %.3f sparse under a manifest of %.3f", k, w, m);
            if (fabs(m - atof(next)) < 1e-9) whole_new++;
            else whole_old++;
        } else {
            CHECK(strstr(err, "does not match") || strstr(err, "manifest"), "kill %zu: '%s'", k, err);
            refused++;
        }
        ecg_run_free(&r);
        /* leave a finished run of `next` for the next kill */
        if (compress_to(next, 1)) CHECK(0, "compress after the kill failed");
    }
    printf("  kills: %d left the old run, %d the new one, %d a folder refused as unfinished (run %.1f s)\n", whole_old,
           whole_new, refused, whole);
    /* the kills when the weights landed find the manifest not yet written: refused, not the old run */
    CHECK(refused > 0, "no kill landed between the new weights and their manifest");
}

/* `train --out DIR` over a finished run: refused without --force or --resume, the run untouched
 * (it truncated epochs.csv at once); a failed manifest write after --force's new weights leaves
 * a folder that is not a run; --resume with another setting is refused naming it. */
static void test_train_over_a_finished_run(void) {
    if (!have_run()) return;
    char path[300], err[1024], before[65], after[65], csv_before[65], csv_after[65];
    snprintf(path, sizeof path, "%s/epochs.csv", run);
    sha_of(path, csv_before);
    snprintf(path, sizeof path, "%s/manifest.json", run);
    sha_of(path, before);
    char *again[] = {"train", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                     "--threads", "2", "--out", run, "--quiet"};
    CHECK(ecg_cmd_train(13, again) == 1, "train over a finished run was not refused");
    sha_of(path, after);
    snprintf(path, sizeof path, "%s/epochs.csv", run);
    sha_of(path, csv_after);
    CHECK(!strcmp(before, after) && !strcmp(csv_before, csv_after), "the refused train touched the run");

    /* a second run, trained 1 of 2 epochs (then resumed) */
    char run2[200];
    snprintf(run2, sizeof run2, "%s/runs2/t", scratch);
    char *half[] = {"train", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "2",
                    "--epoch-limit", "1", "--threads", "2", "--out", run2, "--quiet"};
    CHECK(ecg_cmd_train(15, half) == 0, "train --epoch-limit 1 failed");
    char *fresh[] = {"train", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "2",
                     "--threads", "2", "--out", run2, "--quiet"};
    ecg_train_job job = {.model = "efficientecg-s", .task = "mitdb-aami", .data = "datasets/sample", .out = run2};
    job.cfg = ecg_train_defaults();
    job.cfg.epochs = 2, job.cfg.threads = 2, job.cfg.resume = 1, job.cfg.lr = 0.01f;
    CHECK(ecg_train_run(&job, err, sizeof err) == -1 && strstr(err, "lr is 0.001 in") && strstr(err, "0.01 in this"),
          "another lr resumed: '%s'", err);
    job.cfg.lr = ecg_train_defaults().lr, job.cfg.epochs = 3;
    CHECK(ecg_train_run(&job, err, sizeof err) == -1 && strstr(err, "epochs is 2 in") && strstr(err, "3 in this"),
          "more epochs resumed: '%s'", err);
    CHECK(ecg_cmd_train(13, fresh) == 1, "a fresh train over a half-trained run (its checkpoint) was not refused");
    char *resume[] = {"train", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "2",
                      "--threads", "2", "--out", run2, "--quiet", "--resume"};
    CHECK(ecg_cmd_train(14, resume) == 0, "the same settings did not resume");
    snprintf(path, sizeof path, "%s/epochs.csv", run2);
    char *csv = test_read_file(path);
    CHECK(csv && strstr(csv, "\n1,") && strstr(csv, "\n2,") && !strstr(csv, "\n3,"), "epochs.csv after resume: %s",
          csv ? csv : "");
    free(csv);

    /* --force, then the manifest write fails: the new weights and history are not the old run */
    char man[300];
    snprintf(man, sizeof man, "%s/manifest.json", run2);
    char *force[] = {"train", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                     "--seed", "7", "--threads", "2", "--out", run2, "--quiet", "--force"};
    setenv("ECG_TEST_FAIL_WRITE", man, 1);
    CHECK(ecg_cmd_train(16, force) == 1, "the failed manifest write was not an error");
    unsetenv("ECG_TEST_FAIL_WRITE");
    ecg_run r;
    CHECK(ecg_run_read(run2, &r, err, sizeof err) == -1 && strstr(err, "does not match"),
          "a retrained folder under the old manifest was read as a run: '%s'", err);
    ecg_run_free(&r);
    CHECK(test_count_temp_files(run2) == 0, "a temporary file was left in %s", run2);
}

/* `report --out DIR` over a finished report: refused without --force; run.json names every file
 * the report wrote, with its hash; a report whose run.json failed leaves no run.json. */
static void test_report_folder(void) {
    if (!have_run()) return;
    char root[300], rep[300], path[400], err[1024];
    snprintf(root, sizeof root, "%s/runs", scratch);
    snprintf(rep, sizeof rep, "%s/report", scratch);
    snprintf(path, sizeof path, "%s/run.json", rep);
    char *report[] = {"report", "--runs", root, "--data", "datasets/sample", "--out", rep, "--layer-reps", "21",
                      "--seeds", "none", "--force"};
    int rc;
    char *said = test_capture_stdout(ecg_cmd_report, 11, report, &rc);
    CHECK(rc == 0, "report: %s", said ? said : "");
    free(said);
    cJSON *j = ecg_read_json(path, err, sizeof err);
    CHECK(j != NULL, "%s", err);
    const cJSON *files = cJSON_GetObjectItem(j, "files");
    const char *expect[] = {"results.csv", "per_class.csv", "confusion.csv", "layers.csv", "tables.md", "tables.tex"};
    for (int i = 0; i < 6; i++) CHECK(cJSON_GetObjectItem(files, expect[i]) != NULL, "run.json lacks %s", expect[i]);
    CHECK(!cJSON_GetObjectItem(files, "run.json"), "run.json vouches for itself");
    CHECK(j && ecg_manifest_check_files(j, rep, path, err, sizeof err) == 0, "%s", err);
    cJSON_Delete(j);
    said = test_capture_stdout(ecg_cmd_report, 11, report, &rc);
    free(said);
    CHECK(rc == 1, "a second report into a finished one was not refused");
    setenv("ECG_TEST_FAIL_WRITE", path, 1);
    said = test_capture_stdout(ecg_cmd_report, 12, report, &rc);
    free(said);
    unsetenv("ECG_TEST_FAIL_WRITE");
    CHECK(rc == 1 && access(path, F_OK) != 0, "a report whose run.json failed left a run.json");
    CHECK(test_count_temp_files(rep) == 0, "a temporary file was left in %s", rep);
}

/* ---- kills at exact points (ECG_TEST_KILL_AFTER, ops/atomic_file.h) */

static char kbase[200], kroot[300], kdir[300], kref[300], kold[300], krep[300];

static int train_into(const char *dir, const char *epochs, const char *seed, char *flag) {
    char *argv[] = {"train", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs",
                    (char *)epochs, "--seed", (char *)seed, "--threads", "2", "--out", (char *)dir, "--quiet", flag};
    return ecg_cmd_train(flag ? 16 : 15, argv);
}

/* The killed commands: a 2-epoch train (seed 1) over kdir, a report over krep, both --force. */
static int new_train(void) { return train_into(kdir, "2", "1", "--force"); }

static char *report_argv[] = {"report", "--runs", kroot, "--data", "datasets/sample", "--out", krep, "--layer-reps",
                              "3", "--seeds", "none", "--force"};
static int new_report(void) { return ecg_cmd_report(12, report_argv); }

/* Runs cmd in a child with ECG_TEST_KILL_AFTER=point, its output to /dev/null: 1 when it died by
 * SIGKILL (the point was reached), else 0 with the reason. *pid: the dead child's. */
static int killed_at(int (*cmd)(void), const char *point, pid_t *pid) {
    fflush(NULL);
    if ((*pid = fork()) == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1), dup2(null, 2);
        setenv("ECG_TEST_KILL_AFTER", point, 1);
        _exit(cmd());
    }
    int status;
    waitpid(*pid, &status, 0);
    int killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    CHECK(killed, "the kill after %s never came (exit %d)", point, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return killed;
}

/* dir becomes a copy of from (the finished run or report each kill lands on). */
static void restore(const char *from, const char *dir) {
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", dir, from, dir);
    CHECK(system(cmd) == 0, "%s", cmd);
}

/* What a writer killed mid-write leaves (the dead child's temporary file): the next write sweeps it. */
static void plant_temp(const char *dir, pid_t dead) {
    char path[400];
    snprintf(path, sizeof path, "%s/epochs.csv.tmp.%ld.0badf00d", dir, (long)dead);
    FILE *f = fopen(path, "w");
    if (f) fputs("epoch,lr\n1,", f), fclose(f);
}

/* The folders: kbase/runs/ref (the report's only run), kbase/old, kbase/t, kbase/report. */
static int kill_folders(void) {
    if (!have_run()) return 0;
    snprintf(kbase, sizeof kbase, "%s/kill", scratch);
    snprintf(kroot, sizeof kroot, "%s/runs", kbase);
    snprintf(kref, sizeof kref, "%s/ref", kroot);
    snprintf(kold, sizeof kold, "%s/old", kbase);
    snprintf(kdir, sizeof kdir, "%s/t", kbase);
    snprintf(krep, sizeof krep, "%s/report", kbase);
    return 1;
}

/* SIGKILL right after each rename of `train --force` (2 epochs) over a finished run of another
 * seed: config.json, each epoch's epochs.csv and checkpoint (last_optim.safetensors, then its
 * PyTorch copy last.safetensors), the weights and the manifest. Afterwards the folder is the old
 * run whole, the new one whole, or refused (its files do not match the old manifest); never
 * another run. Where a checkpoint was left, `train --resume` (after a dead writer's temporary
 * file was planted) ends with the bytes of an uninterrupted run and no temporary file. Before the
 * one-file checkpoint, the kill between last_optim and last left a pair --resume refused. */
static void test_train_killed_at_each_rename(void) {
    if (!kill_folders()) return;
    char err[1024], path[400], want[65], old_w[65], old_m[65], got[65];
    CHECK(train_into(kref, "2", "1", NULL) == 0, "the uninterrupted run failed");
    CHECK(train_into(kold, "1", "7", NULL) == 0, "the old run failed");
    snprintf(path, sizeof path, "%s/weights.safetensors", kref);
    sha_of(path, want);
    snprintf(path, sizeof path, "%s/weights.safetensors", kold);
    sha_of(path, old_w);
    snprintf(path, sizeof path, "%s/manifest.json", kold);
    sha_of(path, old_m);
    const char *at[] = {"/config.json", "/epochs.csv", "/last_optim.safetensors", "/last.safetensors",
                        "/epochs.csv#2", "/last_optim.safetensors#2", "/last.safetensors#2", "/weights.safetensors",
                        "/manifest.json"};
    int old = 0, fresh = 0, refused = 0, resumed = 0;
    for (size_t k = 0; k < sizeof at / sizeof *at; k++) {
        restore(kold, kdir);
        pid_t pid;
        if (!killed_at(new_train, at[k], &pid)) continue;
        ecg_run r;
        int whole = ecg_run_read(kdir, &r, err, sizeof err) == 0, is_new = 0;
        ecg_run_free(&r);
        snprintf(path, sizeof path, "%s/weights.safetensors", kdir);
        sha_of(path, got);
        if (whole) {
            char man[65];
            snprintf(path, sizeof path, "%s/manifest.json", kdir);
            sha_of(path, man);
            is_new = !strcmp(got, want);
            CHECK(is_new || (!strcmp(got, old_w) && !strcmp(man, old_m)), "kill after %s: a whole run, neither old "
                  "nor new", at[k]);
            old += !is_new, fresh += is_new;
        } else {
            CHECK(strstr(err, "does not match"), "kill after %s: '%s'", at[k], err);
            char *eval[] = {"eval", kdir};
            CHECK(ecg_cmd_eval(2, eval) == 1, "kill after %s: eval took the unfinished run", at[k]);
            refused++;
        }
        snprintf(path, sizeof path, "%s/last_optim.safetensors", kdir);
        if (is_new || access(path, F_OK) != 0) continue;
        plant_temp(kdir, pid);
        CHECK(train_into(kdir, "2", "1", "--resume") == 0, "kill after %s: --resume failed", at[k]);
        snprintf(path, sizeof path, "%s/weights.safetensors", kdir);
        sha_of(path, got);
        CHECK(!strcmp(got, want), "kill after %s: resumed to other weights than the uninterrupted run's", at[k]);
        CHECK(ecg_run_read(kdir, &r, err, sizeof err) == 0, "kill after %s, resumed: %s", at[k], err);
        ecg_run_free(&r);
        CHECK(test_count_temp_files(kdir) == 0, "kill after %s: --resume left a temporary file", at[k]);
        resumed++;
    }
    printf("  kills: %d left the old run, %d the new one, %d a folder refused as unfinished; %d resumed to the "
           "uninterrupted run's bytes\n", old, fresh, refused, resumed);
    CHECK(old > 0 && fresh > 0 && refused > 0 && resumed >= 5, "kills: %d old, %d new, %d refused, %d resumed", old,
          fresh, refused, resumed);
}

/* SIGKILL right after each file `report --force` renames into a finished report (every file its
 * run.json lists, then run.json): afterwards the folder is the old report (run.json and its files
 * as they were), the new one whole, or marked unfinished (no run.json: report removes it before
 * replacing the first file); never a run.json over files it does not vouch for. A new
 * `report --force` then succeeds and sweeps a dead writer's temporary file. */
static void test_report_killed_at_each_rename(void) {
    if (!kill_folders()) return;
    char err[1024], path[400], pristine[300], old_json[65], got[65];
    if (access(kref, F_OK) != 0) CHECK(train_into(kref, "2", "1", NULL) == 0, "train failed");
    int rc;
    char *said = test_capture_stdout(ecg_cmd_report, 12, report_argv, &rc);
    free(said);
    CHECK(rc == 0, "report failed");
    snprintf(path, sizeof path, "%s/run.json", krep);
    cJSON *j = ecg_read_json(path, err, sizeof err);
    CHECK(j != NULL, "%s", err);
    if (!j) return;
    snprintf(pristine, sizeof pristine, "%s/report0", kbase);
    restore(krep, pristine);
    sha_of(path, old_json);
    int old = 0, fresh = 0, unfinished = 0, redone = 0, n = 0;
    const cJSON *f = cJSON_GetObjectItem(j, "files") ? cJSON_GetObjectItem(j, "files")->child : NULL;
    for (int last = 0; !last; f = f ? f->next : NULL) {
        char point[300];
        last = f == NULL;
        snprintf(point, sizeof point, "/%s", last ? "run.json" : f->string);
        restore(pristine, krep);
        pid_t pid;
        n++;
        if (!killed_at(new_report, point, &pid)) continue;
        if (access(path, F_OK) == 0) {
            sha_of(path, got);
            cJSON *now = ecg_read_json(path, err, sizeof err);
            CHECK(now && ecg_manifest_check_files(now, krep, path, err, sizeof err) == 0,
                  "kill after %s: run.json over files it does not vouch for: %s", point, err);
            cJSON_Delete(now);
            if (!strcmp(got, old_json)) old++;
            else fresh++;
        } else {
            unfinished++;
        }
        plant_temp(krep, pid);
        said = test_capture_stdout(ecg_cmd_report, 12, report_argv, &rc);
        free(said);
        CHECK(rc == 0 && access(path, F_OK) == 0, "kill after %s: the next report --force failed", point);
        CHECK(test_count_temp_files(krep) == 0, "kill after %s: report --force left a temporary file", point);
        redone += rc == 0;
    }
    cJSON_Delete(j);
    printf("  kills at %d renames: %d left the old report, %d the new one, %d a report marked unfinished (no "
           "run.json); %d reports --force after them\n", n, old, fresh, unfinished, redone);
    CHECK(fresh > 0 && unfinished > 0 && redone == n, "kills: %d old, %d new, %d unfinished, %d redone", old, fresh,
          unfinished, redone);
}

int main(void) {
    if (!mkdtemp(scratch)) return 1;
    RUN(test_compress_weights_without_their_manifest);
    RUN(test_compress_killed_at_several_points);
    RUN(test_train_over_a_finished_run);
    RUN(test_report_folder);
    RUN(test_train_killed_at_each_rename);
    RUN(test_report_killed_at_each_rename);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", scratch);
    unsetenv("ECG_CACHE_DIR");
    return test_done();
}

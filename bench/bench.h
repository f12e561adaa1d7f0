/* ecgbench measurement: the peak-FLOPs probe, the machine a run was measured on, and the peak RSS
 * of one inference. The Google Benchmark shim is bench/gbench_shim.h, the plausibility of latency
 * figures bench/latency_check.h. */
#ifndef ECG_BENCH_H
#define ECG_BENCH_H

#include <stddef.h>

#include "bench/gbench_shim.h"
#include "runs/runs.h"

/* The f32 GFLOP/s one core reaches on a loop of independent FMAs in its widest vectors: the best
 * of timings of >= 20 ms of the thread's CPU time (time another job holds the core does not
 * count), taken in rounds of 5 until the best 3 agree within 2% (or 3 s have gone by).
 * bench/peak_flops.c */
typedef struct {
    double gflops;
    double spread_pct;  /* the best 3 timings' spread, % of the best: a few % on a quiet core */
    int rounds;         /* of 5 timings each */
    int stable;         /* the best 3 agreed within 2% before the time ran out */
    const char *isa;    /* the vectors: "avx512", "avx2", "scalar" */
} ecg_peak;
void ecg_peak_measure(ecg_peak *p);

/* The GB/s one core reads a 256 MiB buffer at (far past the caches): the best of timings by the
 * thread's CPU time, in rounds of 3 until the best 3 agree within 3% (or 1 s has gone by).
 * -1 when the buffer cannot be allocated. bench/mem_bandwidth.c */
typedef struct {
    double gbps;
    double spread_pct;  /* the best 3 timings' spread, % of the best */
    int rounds;         /* of 3 timings each */
    int stable;         /* the best 3 agreed within 3% */
    size_t bytes;       /* the buffer read */
} ecg_bandwidth;
int ecg_bandwidth_measure(ecg_bandwidth *b);

/* ---------------------------------------------------------------- run metadata (bench/run_info.c) */
typedef struct {
    char git_commit[64];
    char compiler[256];
    char cflags[256];
    char cpu_model[256];
    int avx2, fma, avx512f, avx512_vnni;   /* from /proc/cpuinfo flags */
    int cores;                             /* online logical CPUs */
    char os[256];                          /* uname: sysname release machine */
    char xnnpack_version[128];             /* Debian package version of libxnnpack0, or "unknown" */
    int threads;                           /* threads the run used */
    char date_utc[32];                     /* ISO 8601, e.g. 2024-05-01T12:00:00Z */
    char command[1024];                    /* the command line */
} ecg_run_info;

/* Fills everything; argv (may be NULL) is recorded as the command line. */
void ecg_run_info_collect(ecg_run_info *ri, int threads, int argc, char **argv);
/* ri as a cJSON object (for embedding in manifests); NULL when out of memory. */
typedef struct cJSON cJSON;
cJSON *ecg_run_info_json(const ecg_run_info *ri);
/* Writes ri as JSON (creating parent directories). 0 ok, -1 with err. */
int ecg_run_info_write(const ecg_run_info *ri, const char *path, char *err, size_t errlen);

/* ---------------------------------------------------------------- peak memory (bench/rss_probe.c) */
/* Peak resident set (KiB) of `ecgbench rss-probe run_dir --batch N` run as a child process (this
 * binary, or $ECGBENCH when set); -1 with err when it could not be measured. */
long ecg_peak_rss_kb(const char *run_dir, int batch, char *err, size_t errlen);
/* What that child (`ecgbench rss-probe`, cli/cmd_rss_probe.c) does: builds the run's model, loads its weights, plans
 * the XNNPACK executor, runs one batch; *peak_kb is its VmHWM. 0, or -1 with err. */
int ecg_rss_probe_run(const char *run_dir, int batch, long *peak_kb, char *err, size_t errlen);

/* ---------------------------------------------------------------- latency cases (bench/latency_cases.c) */
/* One case of `ecgbench latency`: a run at a batch size and thread count. */
typedef struct {
    const ecg_run *run;
    ecg_run_model m;
    ecg_xnn *x[ECG_RUN_MAX_MEMBERS]; /* one executor per model the run executes (an ensemble: its members) */
    int n_x;
    int batch, threads, threads_used; /* asked for; the executor's (recorded before teardown) */
    double init_ms, flops; /* flops per call (whole batch) */
    char name[320];
    char flag[96];         /* ecg_latency_flag's reason, "" when the row looks plausible */
} ecg_latency_case;

/* The cases and their shim descriptions (gc[i] times cases[i]). */
typedef struct {
    ecg_latency_case *cases;
    ecg_gbench_case *gc;
    int n;
} ecg_latency_set;
/* Every run at every batch size and thread count (0: all cores), a thread count that comes out the
 * same as another (1 and all on one core) once. 0, or -1 with err (none to time, a run that does
 * not open). */
int ecg_latency_cases(const ecg_run *runs, int n_runs, const int *batch, int n_batch, const int *threads, int n_threads,
                      ecg_latency_set *s, char *err, size_t errlen);
void ecg_latency_set_free(ecg_latency_set *s);
/* After the run: flags each timed case (ecg_latency_flag; the 1-thread case of the same run and
 * batch is its scaling reference); returns how many were flagged and the first in *first. */
int ecg_latency_flag_cases(ecg_latency_case *c, const ecg_gbench_result *res, int n, int *first);

#endif

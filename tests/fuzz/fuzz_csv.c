/* libFuzzer target: the report's CSV readers. The input as a CSV file read by ecg_csv_read
 * (libcsv, strict) with every cell through the strict number parser; as a latency file attached
 * to report rows (ecg_report_attach_latency, ecg_report_latency_flagged, ecg_report_write_latency: what
 * `report --latency` does); and as a results.csv given to `ecgbench compare`, against itself and
 * against a small fixed one. Beyond the sanitizers: an error names the file; a table read has a
 * header, every row the header's width and lines in order. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "report/report.h"

static const char fixed_results[] =
    "dataset,split,data_version,sample,model,variant,run,source,examples,accuracy,macro_f1,score,size_bytes,"
    "batch,threads,latency_median_us,latency_p90_us,init_ms,peak_rss_kb\n"
    "mitdb-aami,test,v1,0,efficientecg-s,f32,efficientecg-s-mitdb-aami,,100,0.9,0.5,,1000,1,1,250,260,3,9000\n"
    "cinc2017,test,v1,0,efficientecg-b0,f32,efficientecg-b0-cinc2017,,50,0.8,0.7,0.75,2000,1,1,25253.7,25583.7,27,72324\n";

static void attach(const ecg_csv_table *t, const char *out) {
    ecg_report_latency_files lf = {.n = 1};
    lf.t[0] = *t;
    ecg_report_row rows[2];
    memset(rows, 0, sizeof rows);
    static const char *const names[2] = {"efficientecg-b0-cinc2017", "bilstm-cinc2017"};
    static ecg_run runs[2] = {{.model = "efficientecg-b0", .variant = "f32"}, {.model = "bilstm", .variant = "f32"}};
    char err[1024] = "", first[256] = "";
    const ecg_task *task = ecg_task_lookup("cinc2017", err, sizeof err);
    if (!task) abort();
    for (int i = 0; i < 2; i++) {
        snprintf(rows[i].run_name, sizeof rows[i].run_name, "%s", names[i]);
        rows[i].run = &runs[i];
        rows[i].task = task;
    }
    if (ecg_report_attach_latency(&lf, rows, 2, err, sizeof err)) {
        if (!err[0]) __builtin_trap();
        return;
    }
    for (int i = 0; i < 2; i++)
        if (rows[i].n_lat < 0 || rows[i].n_lat > REPORT_MAX_SETTINGS) __builtin_trap();
    ecg_report_latency_flagged(&lf, rows, 2, first, sizeof first);
    err[0] = 0;
    if (ecg_report_write_latency(out, &lf, rows, 2, err, sizeof err) && !err[0]) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char dir[64], path[128], fixed[128];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_csv_%ld", (long)getpid());
        mkdir(dir, 0700);
        snprintf(path, sizeof path, "%s/results.csv", dir);
        snprintf(fixed, sizeof fixed, "%s/fixed", dir);
        mkdir(fixed, 0700);
        snprintf(fixed, sizeof fixed, "%s/fixed/results.csv", dir);
        FILE *f = fopen(fixed, "wb");
        if (!f || fputs(fixed_results, f) < 0 || fclose(f)) abort();
        int null = open("/dev/null", O_WRONLY); /* compare's tables */
        if (null < 0 || dup2(null, 1) < 0) abort();
        close(null);
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    ecg_csv_table t;
    char err[1024] = "";
    if (ecg_csv_read(path, &t, err, sizeof err)) {
        if (strncmp(err, path, strlen(path))) __builtin_trap();
    } else {
        if (t.n_rows < 1) __builtin_trap();
        double sum = 0;
        for (int r = 0; r < t.n_rows; r++) {
            if (t.widths[r] != t.widths[0] || t.lines[r] < 1 || (r && t.lines[r] <= t.lines[r - 1])) __builtin_trap();
            for (int c = 0; c < t.widths[r]; c++) {
                double v;
                if (!t.rows[r][c]) __builtin_trap();
                if (ecg_csv_number(t.rows[r][c], &v) == 0 && isfinite(v)) sum += v;
            }
        }
        if (ecg_csv_col(&t, "run") >= t.widths[0]) __builtin_trap();
        attach(&t, dir);
        ecg_csv_table_free(&t);
        (void)sum;
    }
    char *self[] = {"compare", path, path, NULL}, *other[] = {"compare", path, fixed, NULL};
    ecg_cmd_compare(3, self);
    ecg_cmd_compare(3, other);
    return 0;
}

/* `ecgbench data p-eval` and the counting behind it (datasets/p_eval.c) on the bundled sample's
 * records: the counts are consistent (beats with a P among the beats, PR and width sums only over
 * those), a sinus record gets P waves before most of its sinus beats, the command's totals are the
 * sums of its record rows, and bad input is refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "../datasets/p_eval.h"
#include "harness.h"

#define SAMPLE "datasets/sample/mitdb"

static void test_record_counts(void) {
    ecg_p_eval_counts c;
    char err[512] = "";
    CHECK(ecg_p_eval_record(SAMPLE, 100, &c, err, sizeof err) == 0, "record 100: %s", err);
    CHECK(c.record == 100 && c.sinus_n > 100 && c.afib_n == 0, "100 is sinus rhythm: %ld sinus, %ld AFIB beats",
          c.sinus_n, c.afib_n);
    CHECK(c.sinus_n_p <= c.sinus_n && c.afib_n_p <= c.afib_n, "more beats with P than beats");
    /* 100 is a clean sinus record: a P detector that misses most of its P waves is broken */
    CHECK(c.sinus_n_p > 0.8 * c.sinus_n, "P before %ld of %ld sinus beats of 100", c.sinus_n_p, c.sinus_n);
    double pr = c.sinus_pr_ms_sum / c.sinus_n_p, width = c.sinus_width_ms_sum / c.sinus_n_p;
    CHECK(pr > 50 && pr < 300 && width > 20 && width < 200, "PR %.0f ms, P width %.0f ms outside physiology", pr,
          width);
    CHECK(ecg_p_eval_record(SAMPLE, 101, &c, err, sizeof err) == -1 && strstr(err, "101"),
          "a record the folder lacks: '%s'", err);
}

/* The CSV's DS1/DS2/TOTAL rows are the sums of its record rows. */
static void test_command_totals(void) {
    char csv[] = "/tmp/ecgbench_p_eval_XXXXXX";
    int fd = mkstemp(csv);
    CHECK(fd >= 0, "mkstemp");
    close(fd);
    char *argv[] = {"p-eval", "--data", "datasets/sample", "--csv", csv};
    int rc = -1;
    free(test_capture_stdout(ecg_cmd_p_eval, 5, argv, &rc));
    CHECK(rc == 0, "p-eval on the sample: exit %d", rc);
    FILE *f = fopen(csv, "r");
    char line[512];
    long sum[2] = {0}, total[2] = {-1, -1};
    int records = 0;
    while (f && fgets(line, sizeof line, f)) {
        char name[32];
        long sinus, with_p;
        const char *set_end = strchr(line, ',') ? strchr(strchr(line, ',') + 1, ',') : NULL; /* set may be empty */
        if (sscanf(line, "%31[^,]", name) != 1 || !set_end || sscanf(set_end, ",%ld,%ld", &sinus, &with_p) != 2)
            continue;
        if (!strcmp(name, "TOTAL")) total[0] = sinus, total[1] = with_p;
        else if (atoi(name) > 0) sum[0] += sinus, sum[1] += with_p, records++;
    }
    if (f) fclose(f);
    unlink(csv);
    CHECK(records == 3, "%d record rows (the sample has 3 records)", records);
    CHECK(total[0] == sum[0] && total[1] == sum[1], "TOTAL %ld/%ld, records sum to %ld/%ld", total[0], total[1],
          sum[0], sum[1]);
}

static void test_bad_input(void) {
    char *unknown[] = {"p-eval", "--bogus"}, *extra[] = {"p-eval", "stray"}, *missing[] = {"p-eval", "--data"};
    CHECK(ecg_cmd_p_eval(2, unknown) == 2, "unknown option accepted");
    CHECK(ecg_cmd_p_eval(2, extra) == 2, "a stray argument accepted");
    CHECK(ecg_cmd_p_eval(2, missing) == 2, "--data without a value accepted");
    char *empty[] = {"p-eval", "--data", "/nonexistent-ecgbench"};
    int rc = -1;
    free(test_capture_stdout(ecg_cmd_p_eval, 3, empty, &rc));
    CHECK(rc == 1, "a folder without MIT-BIH records: exit %d", rc);
}

int main(void) {
    RUN(test_record_counts);
    RUN(test_command_totals);
    RUN(test_bad_input);
    return test_done();
}

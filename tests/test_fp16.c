/* fp16 weights: the binary16 conversion against its definition (every half value round-trips;
 * floats go to the nearest half, ties to even, overflow to inf), and the fp16 file loads back to
 * exactly the rounded weights at about half the f32 size; values beyond fp16 are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress/compress.h"
#include "harness.h"
#include "ops/rng.h"
#include "ops/safetensors.h"

static void test_every_half_round_trips(void) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = ecg_f16_to_f32((uint16_t)h);
        if (isnan(f)) bad += !isnan(ecg_f16_to_f32(ecg_f32_to_f16(f)));
        else bad += ecg_f32_to_f16(f) != h;
    }
    CHECK(bad == 0, "%d half values do not survive f16 -> f32 -> f16", bad);
    CHECK(ecg_f16_to_f32(0x3c00) == 1.0f && ecg_f16_to_f32(0x7bff) == 65504.0f && ecg_f16_to_f32(0x0001) == ldexpf(1, -24),
          "known values");
}

/* |f - half| for the candidate halves around f: the chosen one must be nearest, ties even. */
static void test_floats_round_to_nearest_even(void) {
    ecg_rng r = {7};
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t bits = (uint32_t)ecg_rng_next(&r);
        float f;
        memcpy(&f, &bits, 4);
        if (!isfinite(f) || fabsf(f) >= 65520.0f) continue;
        uint16_t h = ecg_f32_to_f16(f);
        double e = fabs((double)f - ecg_f16_to_f32(h));
        for (int d = -1; d <= 1; d += 2) {
            uint16_t o = (uint16_t)(h + d);
            if ((o & 0x7c00) == 0x7c00 || ((o ^ h) & 0x8000)) continue; /* inf/nan or across the sign */
            double eo = fabs((double)f - ecg_f16_to_f32(o));
            bad += eo < e || (eo == e && (h & 1));
        }
    }
    CHECK(bad == 0, "%d floats not rounded to the nearest half (ties to even)", bad);
    CHECK(ecg_f32_to_f16(65519.0f) == 0x7bff && ecg_f32_to_f16(65520.0f) == 0x7c00, "overflow threshold");
    CHECK(ecg_f32_to_f16(1.0f + ldexpf(1, -11)) == 0x3c00, "a tie rounds to the even neighbour");
    CHECK(ecg_f32_to_f16(-0.0f) == 0x8000 && ecg_f32_to_f16(ldexpf(1, -26)) == 0, "signed zero, underflow");
}

static void test_fp16_file(void) {
    ecg_graph g, h;
    ecg_graph_init(&g, 3);
    ecg_graph_set_output(&g, ecg_linear(&g, "fc", ecg_input(&g, "x", ecg_shape1(64)), 32, 1));
    ecg_graph_init(&h, 4);
    ecg_graph_set_output(&h, ecg_linear(&h, "fc", ecg_input(&h, "x", ecg_shape1(64)), 32, 1));
    char err[512], f16[] = "/tmp/ecg_f16_XXXXXX", f32[] = "/tmp/ecg_f32_XXXXXX";
    close(mkstemp(f16)), close(mkstemp(f32));
    CHECK(ecg_fp16_save(&g, f16, NULL, 0, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_safetensors_save(&g, f32, NULL, 0, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_weights_load(&h, f16, err, sizeof err) == 0, "%s", err);
    int bad = 0;
    for (int i = 0; i < g.n_params; i++)
        for (int64_t k = 0; k < ecg_shape_numel(&g.params[i].shape); k++)
            bad += h.params[i].data[k] != ecg_f16_to_f32(ecg_f32_to_f16(g.params[i].data[k]));
    CHECK(bad == 0, "%d weights differ from their fp16 rounding after the round trip", bad);
    struct stat a, b;
    CHECK(stat(f16, &a) == 0 && stat(f32, &b) == 0 && a.st_size < 0.55 * b.st_size, "fp16 file %lld bytes, f32 %lld",
          (long long)a.st_size, (long long)b.st_size);
    g.params[0].data[5] = 1e6f;
    CHECK(ecg_fp16_save(&g, f16, NULL, 0, err, sizeof err) == -1 && strstr(err, "fc.weight[5]"), "out of range: %s", err);
    ecg_graph_free(&h);
    ecg_graph_init(&h, 4); /* the wrong shape: the dense loader's checks apply */
    ecg_graph_set_output(&h, ecg_linear(&h, "fc", ecg_input(&h, "x", ecg_shape1(64)), 16, 1));
    g.params[0].data[5] = 0.5f;
    CHECK(ecg_fp16_save(&g, f16, NULL, 0, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_weights_load(&h, f16, err, sizeof err) == -1 && strstr(err, "shape"), "wrong shape: %s", err);
    unlink(f16), unlink(f32);
    ecg_graph_free(&g);
    ecg_graph_free(&h);
}

int main(void) {
    RUN(test_every_half_round_trips);
    RUN(test_floats_round_to_nearest_even);
    RUN(test_fp16_file);
    return test_done();
}

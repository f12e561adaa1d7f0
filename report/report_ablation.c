/* The fusion ablation of `ecgbench report`: which patient features EfficientECG-Fusion's
 * cross-attention sees. ablation.csv compares every variant with the backbone alone over the seeds
 * both have (a paired t-test, report/report_seeds.c); tables.md shows the same figures. */
#include <math.h>
#include <string.h>

#include "report/report.h"

const ecg_report_ablation_variant ecg_report_ablation[REPORT_ABLATION_VARIANTS] = {
    {"efficientecg-fusion-none", "mitdb-aami", "none (backbone only)"},
    {"efficientecg-fusion-agesex", "mitdb-aami", "age, sex"},
    {"efficientecg-fusion-rr", "mitdb-aami", "RR intervals"},
    {"efficientecg-fusion-pwave", "mitdb-aami", "P wave"},
    {"efficientecg-fusion-ae", "mitdb-aami", "autoencoder code"},
    {"efficientecg-fusion-none", "mitdb-aami-2lead", "second lead"},
    {"efficientecg-fusion", "mitdb-aami", "age, sex, RR intervals"},
    {"efficientecg-fusion-all", "mitdb-aami-2lead", "all useful (age, sex, RR, P wave, AE code, second lead)"}};

const ecg_report_row *ecg_report_ablation_row(const ecg_report_row *rows, int n, int k) {
    const ecg_report_ablation_variant *v = &ecg_report_ablation[k];
    for (int i = 0; i < n; i++) {
        const ecg_report_row *r = &rows[i];
        if (!r->extra_seed && !r->source_name[0] && !strcmp(r->run->variant, "f32") && !strcmp(r->task->name, v->task) &&
            !strcmp(r->run->model, v->model))
            return r;
    }
    return NULL;
}

static void num_or_empty(ecg_csv *w, double v) {
    if (isnan(v)) ecg_csv_str(w, "");
    else ecg_csv_num(w, v);
}

int ecg_report_write_ablation(const char *out, const ecg_report_row *rows, int n, char *err, size_t errlen) {
    static const char *const cols[] = {"dataset", "model", "features", "baseline", "figure", "class", "paired_seeds",
                                       "mean_diff", "sd_diff", "t", "p", "tested"};
    static const struct {
        ecg_report_figure f;
        const char *cls;
    } fig[] = {{REPORT_ACCURACY, NULL}, {REPORT_BALANCED, NULL}, {REPORT_SENSITIVITY, "S"}, {REPORT_PPV, "S"},
               {REPORT_SENSITIVITY, "V"}, {REPORT_PPV, "V"}};
    char path[1200];
    snprintf(path, sizeof path, "%s/ablation.csv", out);
    ecg_csv w;
    if (ecg_csv_open(&w, path) == 0) ecg_csv_header(&w, cols, (int)(sizeof cols / sizeof *cols));
    const ecg_report_row *base = ecg_report_ablation_row(rows, n, 0);
    for (int k = 1; base && k < REPORT_ABLATION_VARIANTS; k++) {
        const ecg_report_row *r = ecg_report_ablation_row(rows, n, k);
        for (size_t j = 0; r && j < sizeof fig / sizeof *fig; j++) {
            ecg_report_paired p = ecg_report_paired_runs(rows, n, base, r, fig[j].f, fig[j].cls);
            ecg_csv_str(&w, r->task->name);
            ecg_csv_str(&w, r->run->model);
            ecg_csv_str(&w, ecg_report_ablation[k].features);
            ecg_csv_str(&w, base->run->model);
            ecg_csv_str(&w, fig[j].f == REPORT_BALANCED ? ecg_report_balanced_name(r->task) : ecg_report_figure_name(fig[j].f));
            ecg_csv_str(&w, fig[j].cls ? fig[j].cls : "");
            ecg_csv_int(&w, p.k);
            num_or_empty(&w, p.mean_diff);
            num_or_empty(&w, p.sd_diff);
            num_or_empty(&w, p.t);
            num_or_empty(&w, p.p);
            ecg_csv_int(&w, p.k >= 3);
            ecg_csv_end_row(&w);
        }
    }
    return ecg_csv_close_err(&w, err, errlen);
}

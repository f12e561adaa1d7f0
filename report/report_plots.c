/* The frame, label positions and Pareto front of the score-against-cost plots
 * (reports/accuracy.gp): one gnuplot file per dataset and cost, OUT/accuracy_{latency,size}_DATASET.labels.gp,
 * which the plot script loads. The plot has two panels: the task's class-balanced score (the
 * runs labelled, the front joined) and, below it, accuracy for comparison. The canvas and
 * margins are set here so that the pixels the labels were placed in are the pixels gnuplot draws.
 * Each run is one point at the mean over its seeds, with the seeds' sd ($points: error bars for
 * runs with >= 2 seeds); a run is degenerate when any seed is. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/atomic_file.h"
#include "report/report.h"

/* Pixels from the top of the canvas: the title, the score panel, its x label, the accuracy
 * panel's title, the accuracy panel, its x label. */
#define CANVAS_W 1000
#define CANVAS_H 1000
#define PLOT_L 80
#define PLOT_R 975
#define SCORE_TOP 105
#define SCORE_BOTTOM 679 /* 574 px tall, as the label placement assumes */
#define ACC_TOP 765
#define ACC_BOTTOM 935

typedef struct {
    ecg_plot_point p;
    double accuracy, score_sd, accuracy_sd; /* sd over seeds, 0 with one seed */
    int front, degenerate;
} ranked_point;

/* The front first, then the other runs by score, the degenerate ones last: labels are placed in
 * this order, so the important ones get the best spots. */
static int by_importance(const void *a, const void *b) {
    const ranked_point *x = a, *y = b;
    if (x->front != y->front) return y->front - x->front;
    if (x->degenerate != y->degenerate) return x->degenerate - y->degenerate;
    return (x->p.y < y->p.y) - (x->p.y > y->p.y);
}

static int by_x(const void *a, const void *b) {
    const ranked_point *x = a, *y = b;
    return (x->p.x > y->p.x) - (x->p.x < y->p.x);
}

/* gnuplot single-quoted string: a quote is doubled. */
static void put_quoted(FILE *f, const char *s) {
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* A y axis's range and tics: NAME_lo, NAME_hi, NAME_step and a format with enough decimals that
 * no two tic labels print alike. */
static void put_axis(FILE *o, const char *name, const ecg_plot_frame *f) {
    int decimals = (int)fmax(2, ceil(-log10(f->y_step) - 1e-9));
    fprintf(o, "%s_lo = %.9g; %s_hi = %.9g; %s_step = %.9g; %s_format = '%%.%df'\n", name, f->y_lo, name, f->y_hi,
            name, f->y_step, name, decimals);
}

/* "macro-F1 (class-balanced)" or "challenge F1 (mean F1 of Normal, AF, Other)". */
static void score_label(const ecg_report_row *r, char *buf, size_t len) {
    if (!r->task->score_name) {
        snprintf(buf, len, "macro-F1 (mean F1 of the classes present)");
        return;
    }
    int k = snprintf(buf, len, "%s (mean F1 of", r->task->score_name);
    for (int c = 0; c < r->task->score_classes && c < r->m.classes && k > 0 && (size_t)k < len; c++)
        k += snprintf(buf + k, len - (size_t)k, "%s %s", c ? "," : "", r->class_names[c]);
    if (k > 0 && (size_t)k < len) snprintf(buf + k, len - (size_t)k, ")");
}

static int write_one(const char *out, const char *dataset, int by_latency, const ecg_report_row *rows, int n,
                     char *err, size_t errlen) {
    ranked_point *rp = calloc((size_t)n + 1, sizeof *rp);
    char(*text)[520] = calloc((size_t)n + 1, sizeof *text);
    ecg_plot_point *pts = calloc((size_t)n + 1, sizeof *pts), *acc = calloc((size_t)n + 2, sizeof *acc);
    ecg_plot_label *lab = calloc((size_t)n + 1, sizeof *lab);
    const ecg_report_row *first = NULL;
    int m = 0, rc = -1, sample = 0;
    if (!rp || !text || !pts || !acc || !lab) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        const ecg_report_row *r = &rows[i];
        const ecg_report_latency *l = ecg_report_latency_b1t1(r);
        double x = by_latency ? (l ? l->median_us : 0) : (double)r->size_bytes / 1024.0;
        /* the points accuracy.gp draws: a run's b1 t1 row, or its only row when it was not timed */
        if (r->extra_seed || strcmp(r->task->name, dataset) || (r->n_lat && !l) || !(x > 0) || isnan(r->balanced))
            continue;
        if (!first) first = r;
        sample |= r->sample;
        snprintf(text[m], sizeof text[m], "%s %s", r->run->model, r->run->variant);
        ecg_report_stat sc = ecg_report_seed_stat(rows, n, r, REPORT_BALANCED, NULL),
                    ac = ecg_report_seed_stat(rows, n, r, REPORT_ACCURACY, NULL);
        char bad[128];
        rp[m] = (ranked_point){{x, sc.mean, text[m]}, ac.mean, isfinite(sc.sd) ? sc.sd : 0,
                               isfinite(ac.sd) ? ac.sd : 0, ecg_report_on_front(rows, n, r, by_latency),
                               ecg_report_degenerate_seeds(rows, n, r, bad, sizeof bad) > 0};
        m++;
    }
    if (m == 0) { /* no latency measured: accuracy.gp draws the size plot only */
        rc = 0;
        goto done;
    }
    qsort(rp, (size_t)m, sizeof *rp, by_importance);
    /* the frame covers the error bars too: a bar's ends as extra points, after the labelled ones */
    for (int i = 0; i < m; i++) pts[i] = rp[i].p, acc[i] = (ecg_plot_point){rp[i].p.x, rp[i].accuracy, ""};
    ecg_plot_frame f = {.width_px = PLOT_R - PLOT_L, .height_px = SCORE_BOTTOM - SCORE_TOP,
                    .char_w_px = 6.0, .line_h_px = 10.0, .marker_px = 6.0}; /* the ",8" label font */
    ecg_plot_point *span = calloc(4 * (size_t)n + 1, sizeof *span); /* m <= n */
    if (!span) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int i = 0; i < m; i++) {
        span[2 * i] = (ecg_plot_point){rp[i].p.x, rp[i].p.y - rp[i].score_sd, ""};
        span[2 * i + 1] = (ecg_plot_point){rp[i].p.x, rp[i].p.y + rp[i].score_sd, ""};
        span[2 * m + 2 * i] = (ecg_plot_point){rp[i].p.x, rp[i].accuracy - rp[i].accuracy_sd, ""};
        span[2 * m + 2 * i + 1] = (ecg_plot_point){rp[i].p.x, rp[i].accuracy + rp[i].accuracy_sd, ""};
    }
    ecg_plot_frame_fit(&f, span, 2 * m);
    ecg_plot_place_labels(&f, pts, m, lab);
    /* the accuracy panel: the same x, and its y covers the majority-class baseline too */
    span[4 * m] = (ecg_plot_point){rp[0].p.x, first->majority_accuracy, ""};
    ecg_plot_frame fa = f;
    ecg_plot_frame_fit(&fa, span + 2 * m, isnan(first->majority_accuracy) ? 2 * m : 2 * m + 1);
    free(span);

    char path[1200], label[200];
    const char *kind = by_latency ? "latency" : "size";
    snprintf(path, sizeof path, "%s/accuracy_%s_%s.labels.gp", out, kind, dataset);
    ecg_atomic_file af;
    if (ecg_atomic_open(&af, path, err, errlen)) goto done;
    FILE *o = af.f;
    fprintf(o, "# Written by `ecgbench report` for reports/accuracy.gp: the frame of the class-balanced score (and\n"
               "# accuracy) against %s on %s, where each run's label goes (report/plot_labels.c) and the\n"
               "# Pareto front on the score, degenerate runs left out (report/report_degenerate.c).\n",
            kind, dataset);
    fprintf(o, "canvas_w = %d; canvas_h = %d\n", CANVAS_W, CANVAS_H);
    fprintf(o, "plot_l = %g; plot_r = %g\n", (double)PLOT_L / CANVAS_W, (double)PLOT_R / CANVAS_W);
    fprintf(o, "score_t = %g; score_b = %g; acc_t = %g; acc_b = %g\n", 1 - (double)SCORE_TOP / CANVAS_H,
            1 - (double)SCORE_BOTTOM / CANVAS_H, 1 - (double)ACC_TOP / CANVAS_H, 1 - (double)ACC_BOTTOM / CANVAS_H);
    fprintf(o, "sample = %d\n", sample);
    score_label(first, label, sizeof label);
    fputs("score_name = ", o), put_quoted(o, ecg_report_balanced_name(first->task)), fputs("\n", o);
    fputs("score_label = ", o), put_quoted(o, label), fputs("\n", o);
    fputs("majority_class = ", o), put_quoted(o, first->class_names[first->majority_class]), fputs("\n", o);
    fprintf(o, "majority_score = %.9g; majority_accuracy = %.9g\n", first->majority_balanced,
            first->majority_accuracy);
    fprintf(o, "set xrange [%.9g:%.9g]\n", f.x_lo, f.x_hi);
    put_axis(o, "score", &f);
    put_axis(o, "acc", &fa);
    /* every run's point: mean over its seeds, sd (0 with one seed), degenerate when any seed is */
    fprintf(o, "$points << EOD\ncost,score,score_sd,accuracy,accuracy_sd,degenerate\n");
    for (int i = 0; i < m; i++)
        fprintf(o, "%.9g,%.9g,%.9g,%.9g,%.9g,%d\n", pts[i].x, pts[i].y, rp[i].score_sd, acc[i].y, rp[i].accuracy_sd,
                rp[i].degenerate);
    fputs("EOD\n", o);
    /* the front, by cost: a line through it needs no gaps */
    int n_front = 0;
    for (int i = 0; i < m; i++)
        if (rp[i].front) rp[n_front++] = rp[i];
    qsort(rp, (size_t)n_front, sizeof *rp, by_x);
    fprintf(o, "n_front = %d\n$front << EOD\ncost,score,accuracy\n", n_front); /* columnheaders: a header line */
    for (int i = 0; i < n_front; i++) fprintf(o, "%.9g,%.9g,%.9g\n", rp[i].p.x, rp[i].p.y, rp[i].accuracy);
    fputs("EOD\n", o);
    /* the score panel's labels (accuracy.gp unsets them for the accuracy panel) */
    fputs("unset label; unset arrow\n", o);
    for (int i = 0; i < m; i++) {
        fputs("set label ", o);
        put_quoted(o, pts[i].text);
        fprintf(o, " at %.9g,%.9g %s font ',8' noenhanced front\n", lab[i].x, lab[i].y,
                lab[i].align < 0 ? "left" : lab[i].align > 0 ? "right" : "center");
        if (lab[i].leader)
            fprintf(o, "set arrow from %.9g,%.9g to %.9g,%.9g nohead lw 1 lc rgb 'gray60' back\n", pts[i].x,
                    pts[i].y, lab[i].leader_x, lab[i].leader_y);
    }
    if (ecg_atomic_commit(&af, err, errlen)) goto done; /* a write error shows here, with its reason */
    rc = 0;
done:
    free(rp), free(text), free(pts), free(acc), free(lab);
    return rc;
}

int ecg_report_write_plot_labels(const char *out, const ecg_report_row *rows, int n, char *err, size_t errlen) {
    for (int i = 0; i < n; i++) {
        int first = 1; /* of its dataset */
        for (int j = 0; j < i && first; j++) first = strcmp(rows[j].task->name, rows[i].task->name) != 0;
        if (first && (write_one(out, rows[i].task->name, 1, rows, n, err, errlen) ||
                      write_one(out, rows[i].task->name, 0, rows, n, err, errlen)))
            return -1;
    }
    return 0;
}

/* The frame and label positions of the accuracy-against-cost plots (reports/accuracy.gp): one
 * gnuplot file per dataset and cost, OUT/accuracy_{latency,size}_DATASET.labels.gp, which the
 * plot script loads. The canvas and margins are set here so that the pixels the labels were
 * placed in are the pixels gnuplot draws. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/report.h"

#define CANVAS_W 1000
#define CANVAS_H 700
static const double margin_l = 0.08, margin_r = 0.975, margin_b = 0.08, margin_t = 0.9; /* screen fractions */

typedef struct {
    plot_point p;
    int front;
} ranked_point;

static int by_front_then_accuracy(const void *a, const void *b) {
    const ranked_point *x = a, *y = b;
    if (x->front != y->front) return y->front - x->front;
    return (x->p.y < y->p.y) - (x->p.y > y->p.y);
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

static int write_one(const char *out, const char *dataset, int by_latency, const report_row *rows, int n,
                     char *err, size_t errlen) {
    ranked_point *rp = calloc((size_t)n + 1, sizeof *rp);
    char(*text)[520] = calloc((size_t)n + 1, sizeof *text);
    plot_point *pts = calloc((size_t)n + 1, sizeof *pts);
    plot_label *lab = calloc((size_t)n + 1, sizeof *lab);
    int m = 0, rc = -1;
    if (!rp || !text || !pts || !lab) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        const report_row *r = &rows[i];
        const report_latency *l = report_latency_b1t1(r);
        double x = by_latency ? (l ? l->median_us : 0) : (double)r->size_bytes / 1024.0;
        /* the points accuracy.gp draws: a run's b1 t1 row, or its only row when it was not timed */
        if (strcmp(r->task->name, dataset) || (r->n_lat && !l) || !(x > 0)) continue;
        snprintf(text[m], sizeof text[m], "%s %s", r->run->model, r->run->variant);
        rp[m] = (ranked_point){{x, r->m.accuracy, text[m]}, report_on_front(rows, n, r, by_latency)};
        m++;
    }
    if (m == 0) { /* no latency measured: accuracy.gp draws the size plot only */
        rc = 0;
        goto done;
    }
    qsort(rp, (size_t)m, sizeof *rp, by_front_then_accuracy);
    for (int i = 0; i < m; i++) pts[i] = rp[i].p;
    plot_frame f = {.width_px = CANVAS_W * (margin_r - margin_l), .height_px = CANVAS_H * (margin_t - margin_b),
                    .char_w_px = 6.0, .line_h_px = 10.0, .marker_px = 6.0}; /* the ",8" label font */
    plot_frame_fit(&f, pts, m);
    plot_place_labels(&f, pts, m, lab);

    char path[1200];
    const char *kind = by_latency ? "latency" : "size";
    snprintf(path, sizeof path, "%s/accuracy_%s_%s.labels.gp", out, kind, dataset);
    FILE *o = fopen(path, "w");
    if (!o) {
        snprintf(err, errlen, "cannot write %s", path);
        goto done;
    }
    fprintf(o, "# Written by `ecgbench report` for reports/accuracy.gp: the frame of accuracy against %s on %s\n"
               "# and where each run's label goes (bench/plot_labels.c).\n",
            kind, dataset);
    fprintf(o, "canvas_w = %d; canvas_h = %d\n", CANVAS_W, CANVAS_H);
    fprintf(o, "set lmargin at screen %g; set rmargin at screen %g\n", margin_l, margin_r);
    fprintf(o, "set bmargin at screen %g; set tmargin at screen %g\n", margin_b, margin_t);
    fprintf(o, "set xrange [%.9g:%.9g]; set yrange [%.9g:%.9g]\nunset label; unset arrow\n", f.x_lo, f.x_hi, f.y_lo,
            f.y_hi);
    for (int i = 0; i < m; i++) {
        fputs("set label ", o);
        put_quoted(o, pts[i].text);
        fprintf(o, " at %.9g,%.9g %s font ',8' noenhanced front\n", lab[i].x, lab[i].y,
                lab[i].align < 0 ? "left" : lab[i].align > 0 ? "right" : "center");
        if (lab[i].leader)
            fprintf(o, "set arrow from %.9g,%.9g to %.9g,%.9g nohead lw 1 lc rgb 'gray60' back\n", pts[i].x,
                    pts[i].y, lab[i].leader_x, lab[i].leader_y);
    }
    if (fclose(o)) {
        snprintf(err, errlen, "cannot write %s", path);
        goto done;
    }
    rc = 0;
done:
    free(rp), free(text), free(pts), free(lab);
    return rc;
}

int report_write_plot_labels(const char *out, const report_row *rows, int n, char *err, size_t errlen) {
    for (int i = 0; i < n; i++) {
        int first = 1; /* of its dataset */
        for (int j = 0; j < i && first; j++) first = strcmp(rows[j].task->name, rows[i].task->name) != 0;
        if (first && (write_one(out, rows[i].task->name, 1, rows, n, err, errlen) ||
                      write_one(out, rows[i].task->name, 0, rows, n, err, errlen)))
            return -1;
    }
    return 0;
}

/* Label placement of the accuracy plots (report/plot_labels.c): the ranges cover every point with
 * room, and on a crowded plot no label prints over another label, over a point or off the plot. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../report/report.h"
#include "harness.h"

static ecg_plot_frame frame_of(const ecg_plot_point *p, int n) {
    ecg_plot_frame f = {.width_px = 895, .height_px = 574, .char_w_px = 6, .line_h_px = 10, .marker_px = 6};
    ecg_plot_frame_fit(&f, p, n);
    return f;
}

static double overlap(const double *a, const double *b) {
    double w = fmin(a[2], b[2]) - fmax(a[0], b[0]), h = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    return w > 0 && h > 0 ? w * h : 0;
}

/* Every label box clear of the other boxes, of every point's marker and of the frame's edge;
 * the clashes are listed when `what` names the placement. */
static int count_clashes(const ecg_plot_frame *f, const ecg_plot_point *p, const ecg_plot_label *l, int n, const char *what) {
    int clashes = 0;
    double (*b)[4] = calloc((size_t)n, sizeof *b);
    for (int i = 0; i < n; i++) ecg_plot_label_box(f, &l[i], p[i].text, b[i]);
    for (int i = 0; i < n; i++) {
        if (b[i][0] < 0 || b[i][1] < 0 || b[i][2] > f->width_px || b[i][3] > f->height_px) {
            clashes++;
            if (what) printf("  %s: '%s' leaves the plot\n", what, p[i].text);
        }
        for (int j = 0; j < i; j++)
            if (overlap(b[i], b[j]) > 0) {
                clashes++;
                if (what) printf("  %s: '%s' over '%s'\n", what, p[i].text, p[j].text);
            }
        for (int j = 0; j < n; j++) {
            double x = f->width_px * log10(p[j].x / f->x_lo) / log10(f->x_hi / f->x_lo);
            double y = f->height_px * (p[j].y - f->y_lo) / (f->y_hi - f->y_lo), r = f->marker_px;
            double m[4] = {x - r, y - r, x + r, y + r};
            if (overlap(b[i], m) > 0) {
                clashes++;
                if (what) printf("  %s: '%s' over the point of '%s'\n", what, p[i].text, p[j].text);
            }
        }
    }
    free(b);
    return clashes;
}

/* Length of the pixel segment a-b inside box m (clipped, Liang-Barsky); 0 when it misses. */
static double seg_inside(double ax, double ay, double bx, double by, const double *m) {
    double t0 = 0, t1 = 1, d[2] = {bx - ax, by - ay}, a[2] = {ax, ay};
    for (int k = 0; k < 2; k++) {
        double lo = m[k], hi = m[k + 2];
        if (d[k] == 0) {
            if (a[k] <= lo || a[k] >= hi) return 0;
            continue;
        }
        double u = (lo - a[k]) / d[k], v = (hi - a[k]) / d[k];
        t0 = fmax(t0, fmin(u, v)), t1 = fmin(t1, fmax(u, v));
    }
    return t1 > t0 ? (t1 - t0) * hypot(d[0], d[1]) : 0;
}

/* Leader lines that run through another point's marker or another label (the label's own point
 * and box excepted); listed when `what` names the placement. */
static int count_crossings(const ecg_plot_frame *f, const ecg_plot_point *p, const ecg_plot_label *l, int n, const char *what) {
    int crossings = 0;
    double (*b)[4] = calloc((size_t)n, sizeof *b), (*m)[4] = calloc((size_t)n, sizeof *m);
    double xs = f->width_px / log10(f->x_hi / f->x_lo), ys = f->height_px / (f->y_hi - f->y_lo), r = f->marker_px;
    for (int i = 0; i < n; i++) {
        ecg_plot_label_box(f, &l[i], p[i].text, b[i]);
        double x = xs * log10(p[i].x / f->x_lo), y = ys * (p[i].y - f->y_lo);
        m[i][0] = x - r, m[i][1] = y - r, m[i][2] = x + r, m[i][3] = y + r;
    }
    for (int i = 0; i < n; i++) {
        if (!l[i].leader) continue;
        double ax = xs * log10(p[i].x / f->x_lo), ay = ys * (p[i].y - f->y_lo);
        double bx = xs * log10(l[i].leader_x / f->x_lo), by = ys * (l[i].leader_y - f->y_lo);
        for (int j = 0; j < n; j++) {
            if (j == i) continue;
            if (seg_inside(ax, ay, bx, by, m[j]) > 0.5) {
                crossings++;
                if (what) printf("  %s: the leader of '%s' crosses the point of '%s'\n", what, p[i].text, p[j].text);
            }
            if (seg_inside(ax, ay, bx, by, b[j]) > 0.5) {
                crossings++;
                if (what) printf("  %s: the leader of '%s' crosses the label '%s'\n", what, p[i].text, p[j].text);
            }
        }
    }
    free(b), free(m);
    return crossings;
}

static void test_frame_fit(void) {
    ecg_plot_point p[] = {{52, 0.941, "a"}, {2472, 0.926, "b"}, {114, 0.816, "c"}};
    ecg_plot_frame f = frame_of(p, 3);
    CHECK(f.x_lo == 10 && f.x_hi == 10000, "x range %g..%g: whole decades around 52..2472", f.x_lo, f.x_hi);
    CHECK(f.y_lo <= 0.816 && f.y_hi > 0.941, "y range %g..%g does not cover 0.816..0.941", f.y_lo, f.y_hi);
    CHECK(f.y_hi - 0.941 >= 0.05 * (0.941 - 0.816), "no room above the top point: y_hi %g", f.y_hi);
    /* a point on a decade gets one more decade, so its label is not cut at the edge */
    ecg_plot_point q[] = {{100, 0.5, "a"}, {1000, 0.9, "b"}};
    f = frame_of(q, 2);
    CHECK(f.x_lo == 10 && f.x_hi == 10000, "x range %g..%g for points on 100 and 1000", f.x_lo, f.x_hi);
    /* one point, or all at one accuracy: still a range */
    f = frame_of(q, 1);
    CHECK(f.x_lo < 100 && f.x_hi > 100 && f.y_lo < 0.5 && f.y_hi > 0.5, "one point: %g..%g x %g..%g", f.x_lo,
          f.x_hi, f.y_lo, f.y_hi);
    /* and tics a 3-decimal label tells apart: at least 0.05 tall, at most 20 steps */
    CHECK(f.y_hi - f.y_lo >= 0.05 && f.y_step >= 0.001 && (f.y_hi - f.y_lo) / f.y_step <= 20.5,
          "one point: y %g..%g in steps of %g", f.y_lo, f.y_hi, f.y_step);
}

/* The crowd of a real report: efficientecg-s's pruned variants within a few pixels of each other
 * (mitdb-aami, accuracy against latency), the other runs around them. */
static void test_crowded_plot(void) {
    ecg_plot_point p[] = {{49.3, 0.9414, "efficientecg-s channels50"}, {60.1, 0.8905, "efficientecg-s pruned95"},
                      {65.2, 0.8905, "efficientecg-s pruned90"},    {81.9, 0.8912, "efficientecg-s pruned80"},
                      {95.7, 0.8882, "efficientecg-s pruned70"},    {102.4, 0.8795, "efficientecg-s pruned50"},
                      {100.9, 0.8757, "efficientecg-s int8"},       {102.0, 0.8723, "efficientecg-s f32"},
                      {101.2, 0.8723, "efficientecg-s fp16"},       {127.0, 0.9283, "efficientecg-fusion-rr f32"},
                      {1188.2, 0.9190, "resnet1d f32"},             {2472.0, 0.9257, "resnet1d-18 f32"},
                      {128.8, 0.8570, "efficientecg-fusion f32"},   {629.5, 0.8543, "efficientecg-fusion-b0 f32"},
                      {119.4, 0.8478, "efficientecg-fusion-none f32"},
                      {123.9, 0.8303, "efficientecg-fusion-agesex f32"},
                      {529.2, 0.8288, "efficientecg-b0 f32"},       {256.8, 0.8240, "bilstm f32"},
                      {114.3, 0.8159, "lstm f32"}};
    int n = (int)(sizeof p / sizeof *p);
    ecg_plot_frame f = frame_of(p, n);
    ecg_plot_label l[sizeof p / sizeof *p];
    ecg_plot_place_labels(&f, p, n, l);
    CHECK(count_clashes(&f, p, l, n, "placed") == 0, "placed labels clash (listed above)");
    CHECK(count_crossings(&f, p, l, n, "placed") == 0, "leader lines cross points or labels (listed above)");

    /* The check can fail: every label centred above its point, as gnuplot's offset does, clashes. */
    for (int i = 0; i < n; i++) {
        double y_px = f.height_px * (p[i].y - f.y_lo) / (f.y_hi - f.y_lo) + f.marker_px + 2 + 6;
        l[i] = (ecg_plot_label){.x = p[i].x, .y = f.y_lo + y_px / f.height_px * (f.y_hi - f.y_lo), .align = 0};
    }
    int naive = count_clashes(&f, p, l, n, NULL);
    CHECK(naive > 0, "labels all above their points did not clash: the crowd is no test");
}

/* A point hemmed in on every side, so its label must go one line out: straight above, the leader
 * line would run through the point just above-left of it (which the label box itself clears), so
 * the label goes where its leader crosses nothing. Pixel offsets from the point at (400, 300). */
static void test_leader_clear(void) {
    ecg_plot_frame f = {.x_lo = 10, .x_hi = 10000, .y_lo = 0, .y_hi = 1, .width_px = 900, .height_px = 600,
                    .char_w_px = 6, .line_h_px = 10, .marker_px = 6};
    static const double off[][2] = {{0, 0},    {-5.5, 14}, {20, 14}, {0, -14},
                                    {20, 0},   {-20, 0}};
    static const char *const names[] = {"hemmed in", "B", "G", "C", "D", "E"};
    enum { N = sizeof off / sizeof *off };
    ecg_plot_point p[N];
    for (int i = 0; i < N; i++)
        p[i] = (ecg_plot_point){pow(10, 1 + (400 + off[i][0]) / 300), (300 + off[i][1]) / 600, names[i]};
    ecg_plot_label l[N];
    ecg_plot_place_labels(&f, p, N, l);
    CHECK(l[0].leader, "the hemmed-in label sits next to its point: the setup is no test");
    CHECK(count_crossings(&f, p, l, N, "hemmed in") == 0, "leader lines cross points or labels (listed above)");
}

/* Points on the plot's edges get their labels inside the plot, on the open side. */
static void test_edges(void) {
    ecg_plot_point p[] = {{10, 0.5, "left"}, {9000, 0.99, "a long label at the top right corner"}};
    ecg_plot_frame f = frame_of(p, 2);
    f.x_lo = 10, f.x_hi = 10000, f.y_lo = 0.5, f.y_hi = 1.0; /* points on the edges */
    ecg_plot_label l[2];
    ecg_plot_place_labels(&f, p, 2, l);
    CHECK(l[1].align == 1 && l[1].x < 9000, "top right: text ends left of the point (align %d, x %g)", l[1].align,
          l[1].x);
    CHECK(l[0].x >= 10, "left edge: label at x %g", l[0].x);
    CHECK(count_clashes(&f, p, l, 2, "edges") == 0, "edge labels clash");
}

int main(void) {
    RUN(test_frame_fit);
    RUN(test_crowded_plot);
    RUN(test_edges);
    RUN(test_leader_clear);
    return test_done();
}

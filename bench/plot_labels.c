/* Where the text labels of a scatter plot go: gnuplot places a label where it is told, so on a
 * dense plot (pruned variants of one model sit a few pixels apart) labels print over each other.
 * This picks, point by point, the spot around the point whose label box overlaps the labels
 * already placed, the points and the frame's edge least, in the plot's own pixels. */
#include <math.h>
#include <string.h>

#include "bench/report.h"

#define PAD_PX 1.0 /* around a label's text */

void plot_frame_fit(plot_frame *f, const plot_point *p, int n) {
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int i = 0; i < n; i++) {
        xmin = fmin(xmin, p[i].x), xmax = fmax(xmax, p[i].x);
        ymin = fmin(ymin, p[i].y), ymax = fmax(ymax, p[i].y);
    }
    if (n == 0) xmin = xmax = 1, ymin = ymax = 0;
    /* whole decades, one more where a point would sit on the edge (its label needs room) */
    double lo = floor(log10(xmin)), hi = ceil(log10(xmax));
    if (log10(xmin) - lo < 0.15) lo -= 1;
    if (hi - log10(xmax) < 0.15) hi += 1;
    f->x_lo = pow(10, lo), f->x_hi = pow(10, hi);
    /* y: a round step giving 5 to 10 intervals; a little room below, a label's height above */
    double span = fmax(ymax - ymin, 1e-3), step = pow(10, floor(log10(span / 5)));
    if (span / step > 20) step *= 5;
    else if (span / step > 10) step *= 2;
    f->y_lo = floor((ymin - 0.04 * span) / step) * step;
    f->y_hi = ceil((ymax + 0.08 * span) / step) * step;
}

static double px_x(const plot_frame *f, double x) {
    return f->width_px * (log10(x) - log10(f->x_lo)) / (log10(f->x_hi) - log10(f->x_lo));
}
static double px_y(const plot_frame *f, double y) { return f->height_px * (y - f->y_lo) / (f->y_hi - f->y_lo); }
static double data_x(const plot_frame *f, double px) {
    return pow(10, log10(f->x_lo) + px / f->width_px * (log10(f->x_hi) - log10(f->x_lo)));
}
static double data_y(const plot_frame *f, double py) { return f->y_lo + py / f->height_px * (f->y_hi - f->y_lo); }

typedef struct {
    double x0, y0, x1, y1;
} box;

/* A label's box: its text in the label font, padded. */
static void label_size(const plot_frame *f, const char *text, double *w, double *h) {
    *w = (double)strlen(text) * f->char_w_px + 2 * PAD_PX, *h = f->line_h_px + 2 * PAD_PX;
}

static double overlap(box a, box b) {
    double w = fmin(a.x1, b.x1) - fmax(a.x0, b.x0), h = fmin(a.y1, b.y1) - fmax(a.y0, b.y0);
    return w > 0 && h > 0 ? w * h : 0;
}

/* Spots around a point, best first: above, below, right, left, the four corners; then, for a
 * crowd, above and below (centred and at the corners) one, two and three lines further out. dx/dy
 * say which side of the point the box is on, far how many lines further out. */
typedef struct {
    int dx, dy, far;
} spot;
static const spot near_spots[] = {{0, 1, 0}, {0, -1, 0}, {1, 0, 0},  {-1, 0, 0},
                                  {1, 1, 0}, {-1, 1, 0}, {1, -1, 0}, {-1, -1, 0}};
#define MAX_FAR 3
#define N_SPOTS (8 + 6 * MAX_FAR)

static spot spot_at(int s) {
    if (s < 8) return near_spots[s];
    int k = (s - 8) % 6; /* the near spots above or below: 0, 1, 4, 5, 6, 7 */
    spot v = near_spots[k < 2 ? k : k + 2];
    v.far = 1 + (s - 8) / 6;
    return v;
}

static box spot_box(const plot_frame *f, double px, double py, double w, double h, spot s) {
    double gap = f->marker_px + 2, lift = s.far * h;
    double x0 = s.dx == 0 ? px - w / 2 : s.dx > 0 ? px + (s.dy ? 2 : gap) : px - (s.dy ? 2 : gap) - w;
    double y0 = s.dy == 0 ? py - h / 2 : s.dy > 0 ? py + gap + lift : py - gap - lift - h;
    return (box){x0, y0, x0 + w, y0 + h};
}

void plot_place_labels(const plot_frame *f, const plot_point *p, int n, plot_label *out) {
    box placed[n > 0 ? n : 1], marks[n > 0 ? n : 1], frame = {0, 0, f->width_px, f->height_px};
    double r = f->marker_px;
    for (int j = 0; j < n; j++) {
        double qx = px_x(f, p[j].x), qy = px_y(f, p[j].y);
        marks[j] = (box){qx - r, qy - r, qx + r, qy + r};
    }
    for (int i = 0; i < n; i++) {
        double px = px_x(f, p[i].x), py = px_y(f, p[i].y), w, h, best = INFINITY;
        label_size(f, p[i].text, &w, &h);
        int pick = 0;
        for (int s = 0; s < N_SPOTS; s++) {
            box b = spot_box(f, px, py, w, h, spot_at(s));
            double cost = 4 * (w * h - overlap(b, frame));
            for (int j = 0; j < i; j++) cost += overlap(b, placed[j]);
            for (int j = 0; j < n; j++) cost += overlap(b, marks[j]);
            if (cost < best) best = cost, pick = s;
        }
        spot sp = spot_at(pick);
        box b = placed[i] = spot_box(f, px, py, w, h, sp);
        int align = sp.dx; /* right of the point: text starts there (left-aligned) */
        double ax = align < 0 ? b.x1 - PAD_PX : align > 0 ? b.x0 + PAD_PX : (b.x0 + b.x1) / 2;
        double ay = (b.y0 + b.y1) / 2;
        out[i].align = -align;
        out[i].x = data_x(f, ax), out[i].y = data_y(f, ay);
        /* a label one line out gets a line to its point: the box's point nearest to it */
        out[i].leader = sp.far > 0;
        out[i].leader_x = data_x(f, fmin(fmax(px, b.x0), b.x1));
        out[i].leader_y = data_y(f, fmin(fmax(py, b.y0), b.y1));
    }
}

/* The box a placed label covers, in pixels (for tests and callers that check a placement). */
void plot_label_box(const plot_frame *f, const plot_label *l, const char *text, double box_px[4]) {
    double w, h, ax = px_x(f, l->x), ay = px_y(f, l->y);
    label_size(f, text, &w, &h);
    double x0 = l->align < 0 ? ax - PAD_PX : l->align > 0 ? ax - w + PAD_PX : ax - w / 2;
    box_px[0] = x0, box_px[1] = ay - h / 2, box_px[2] = x0 + w, box_px[3] = ay + h / 2;
}

/* Where the text labels of a scatter plot go: gnuplot places a label where it is told, so on a
 * dense plot (pruned variants of one model sit a few pixels apart) labels print over each other.
 * This picks, point by point, the spot around the point whose label box overlaps the labels
 * already placed, the points and the frame's edge least, and whose leader line (a label set one
 * line or more away gets one) runs through no other point or label, in the plot's own pixels. */
#include <math.h>
#include <string.h>

#include "report/report.h"

#define PAD_PX 1.0 /* around a label's text */

void ecg_plot_frame_fit(ecg_plot_frame *f, const ecg_plot_point *p, int n) {
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
    /* y: a round step giving 5 to 10 intervals; a little room below, a label's height above. At
     * least 0.05 tall (scores are fractions): one point, or a few at one score, would otherwise
     * get tics so fine that the printed tic labels repeat. */
    double span = ymax - ymin, pmin = ymin, pmax = ymax;
    if (span < 0.05) {
        double mid = (ymax + ymin) / 2;
        ymin = mid - 0.025, ymax = mid + 0.025, span = 0.05;
    }
    double step = pow(10, floor(log10(span / 5)));
    if (span / step > 20) step *= 5;
    else if (span / step > 10) step *= 2;
    f->y_step = step;
    f->y_lo = floor((ymin - 0.04 * span) / step) * step;
    f->y_hi = ceil((ymax + 0.08 * span) / step) * step;
    /* fractions: no tics past 1 or below 0, half a step of room for the markers */
    if (pmax <= 1 && f->y_hi > 1) f->y_hi = 1 + step / 2;
    if (pmin >= 0 && f->y_lo < 0) f->y_lo = -step / 2;
}

static double px_x(const ecg_plot_frame *f, double x) {
    return f->width_px * (log10(x) - log10(f->x_lo)) / (log10(f->x_hi) - log10(f->x_lo));
}
static double px_y(const ecg_plot_frame *f, double y) { return f->height_px * (y - f->y_lo) / (f->y_hi - f->y_lo); }
static double data_x(const ecg_plot_frame *f, double px) {
    return pow(10, log10(f->x_lo) + px / f->width_px * (log10(f->x_hi) - log10(f->x_lo)));
}
static double data_y(const ecg_plot_frame *f, double py) { return f->y_lo + py / f->height_px * (f->y_hi - f->y_lo); }

typedef struct {
    double x0, y0, x1, y1;
} box;

/* A label's box: its text in the label font, padded. */
static void label_size(const ecg_plot_frame *f, const char *text, double *w, double *h) {
    *w = (double)strlen(text) * f->char_w_px + 2 * PAD_PX, *h = f->line_h_px + 2 * PAD_PX;
}

static double overlap(box a, box b) {
    double w = fmin(a.x1, b.x1) - fmax(a.x0, b.x0), h = fmin(a.y1, b.y1) - fmax(a.y0, b.y0);
    return w > 0 && h > 0 ? w * h : 0;
}

/* Length of the segment a-b inside box m, clipped to it (Liang-Barsky); 0 when it misses. */
static double inside(double ax, double ay, double bx, double by, box m) {
    double t0 = 0, t1 = 1, d[2] = {bx - ax, by - ay}, a[2] = {ax, ay}, lo[2] = {m.x0, m.y0}, hi[2] = {m.x1, m.y1};
    for (int k = 0; k < 2; k++) {
        if (d[k] == 0) {
            if (a[k] <= lo[k] || a[k] >= hi[k]) return 0;
            continue;
        }
        double u = (lo[k] - a[k]) / d[k], v = (hi[k] - a[k]) / d[k];
        t0 = fmax(t0, fmin(u, v)), t1 = fmin(t1, fmax(u, v));
    }
    return t1 > t0 ? (t1 - t0) * hypot(d[0], d[1]) : 0;
}

/* A leader line: from its point to the nearest point of its label's box; none when x0 is NaN. */
typedef struct {
    double x0, y0, x1, y1;
} segment;

static segment leader_of(double px, double py, box b, int far) {
    if (!far) return (segment){NAN, 0, 0, 0};
    return (segment){px, py, fmin(fmax(px, b.x0), b.x1), fmin(fmax(py, b.y0), b.y1)};
}

static double cross(double ax, double ay, double bx, double by, double cx, double cy) {
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/* Two leaders cross (strictly: sharing an end does not count). */
static int leaders_cross(segment a, segment b) {
    if (isnan(a.x0) || isnan(b.x0)) return 0;
    double d1 = cross(a.x0, a.y0, a.x1, a.y1, b.x0, b.y0), d2 = cross(a.x0, a.y0, a.x1, a.y1, b.x1, b.y1);
    double d3 = cross(b.x0, b.y0, b.x1, b.y1, a.x0, a.y0), d4 = cross(b.x0, b.y0, b.x1, b.y1, a.x1, a.y1);
    return d1 * d2 < 0 && d3 * d4 < 0;
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

static box spot_box(const ecg_plot_frame *f, double px, double py, double w, double h, spot s) {
    double gap = f->marker_px + 2, lift = s.far * h;
    double x0 = s.dx == 0 ? px - w / 2 : s.dx > 0 ? px + (s.dy ? 2 : gap) : px - (s.dy ? 2 : gap) - w;
    double y0 = s.dy == 0 ? py - h / 2 : s.dy > 0 ? py + gap + lift : py - gap - lift - h;
    return (box){x0, y0, x0 + w, y0 + h};
}

void ecg_plot_place_labels(const ecg_plot_frame *f, const ecg_plot_point *p, int n, ecg_plot_label *out) {
    box placed[n > 0 ? n : 1], marks[n > 0 ? n : 1], frame = {0, 0, f->width_px, f->height_px};
    segment leads[n > 0 ? n : 1];
    double r = f->marker_px;
    /* a pixel of leader line through a point or a label costs as much as this many square pixels
     * of overlap: a crossing of a marker (12 px) weighs like a label half covered */
    double line_cost = 10 * f->line_h_px;
    for (int j = 0; j < n; j++) {
        double qx = px_x(f, p[j].x), qy = px_y(f, p[j].y);
        marks[j] = (box){qx - r, qy - r, qx + r, qy + r};
    }
    for (int i = 0; i < n; i++) {
        double px = px_x(f, p[i].x), py = px_y(f, p[i].y), w, h, best = INFINITY;
        label_size(f, p[i].text, &w, &h);
        int pick = 0;
        for (int s = 0; s < N_SPOTS; s++) {
            spot sp = spot_at(s);
            box b = spot_box(f, px, py, w, h, sp);
            segment ld = leader_of(px, py, b, sp.far);
            double cost = 4 * (w * h - overlap(b, frame));
            for (int j = 0; j < i; j++) {
                cost += overlap(b, placed[j]);
                /* an earlier label's leader through this box, this leader through its box or across its leader */
                if (!isnan(leads[j].x0)) cost += line_cost * inside(leads[j].x0, leads[j].y0, leads[j].x1, leads[j].y1, b);
                if (!isnan(ld.x0)) cost += line_cost * inside(ld.x0, ld.y0, ld.x1, ld.y1, placed[j]);
                cost += leaders_cross(ld, leads[j]) ? line_cost * f->line_h_px : 0;
            }
            for (int j = 0; j < n; j++) {
                cost += overlap(b, marks[j]);
                if (j != i && !isnan(ld.x0)) cost += line_cost * inside(ld.x0, ld.y0, ld.x1, ld.y1, marks[j]);
            }
            if (cost < best) best = cost, pick = s;
        }
        spot sp = spot_at(pick);
        box b = placed[i] = spot_box(f, px, py, w, h, sp);
        leads[i] = leader_of(px, py, b, sp.far);
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
void ecg_plot_label_box(const ecg_plot_frame *f, const ecg_plot_label *l, const char *text, double box_px[4]) {
    double w, h, ax = px_x(f, l->x), ay = px_y(f, l->y);
    label_size(f, text, &w, &h);
    double x0 = l->align < 0 ? ax - PAD_PX : l->align > 0 ? ax - w + PAD_PX : ax - w / 2;
    box_px[0] = x0, box_px[1] = ay - h / 2, box_px[2] = x0 + w, box_px[3] = ay + h / 2;
}

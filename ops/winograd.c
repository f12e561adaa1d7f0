/* Winograd F(m, r) transforms for 1D correlation, built by Toom-Cook (ops/winograd.h).
 *
 * Polynomial product c = a * b (deg a = m - 1, deg b = r - 1, deg c = n - 1) by evaluation at n
 * points (n - 1 finite and infinity, where a polynomial "is" its leading coefficient) and
 * interpolation: c = E^-1 [(Va a) .* (Vb b)], with E, Va, Vb the evaluation matrices of
 * polynomials of n, m and r coefficients. As a map of a this is the convolution matrix of b; its
 * transpose is the correlation with b, so AT = Va^T, G = Vb, BT = E^-T.
 *
 * Small points keep the transforms' entries near 1: with n = 8 (0, +-1, +-2, +-1/2, infinity)
 * the float error of a tile is about 10x a direct dot product's; n = 10 needs +-3 and is
 * another 10x worse, which is why the executor stays at n = 8. */
#include <math.h>
#include <string.h>

#include "winograd.h"

static const double points[ECG_WINOGRAD_MAX_N - 1] = {0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, 1.0 / 3, -1.0 / 3};

/* Row i of the evaluation matrix of polynomials with `cols` coefficients at the n points. */
static void eval_row(double *row, int i, int n, int cols) {
    for (int j = 0; j < cols; j++) {
        if (i == n - 1) row[j] = j == cols - 1; /* infinity: the leading coefficient */
        else row[j] = pow(points[i], j);
    }
}

/* inv = a^-1 for a [n, n] by Gauss-Jordan with partial pivoting; a is overwritten. */
static int invert(double *a, double *inv, int n) {
    for (int i = 0; i < n * n; i++) inv[i] = i / n == i % n;
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(a[r * n + c]) > fabs(a[p * n + c])) p = r;
        if (a[p * n + c] == 0) return -1;
        for (int j = 0; j < n; j++) {
            double t = a[c * n + j];
            a[c * n + j] = a[p * n + j], a[p * n + j] = t;
            t = inv[c * n + j];
            inv[c * n + j] = inv[p * n + j], inv[p * n + j] = t;
        }
        double d = a[c * n + c];
        for (int j = 0; j < n; j++) a[c * n + j] /= d, inv[c * n + j] /= d;
        for (int r = 0; r < n; r++) {
            if (r == c || a[r * n + c] == 0) continue;
            double f = a[r * n + c];
            for (int j = 0; j < n; j++) a[r * n + j] -= f * a[c * n + j], inv[r * n + j] -= f * inv[c * n + j];
        }
    }
    return 0;
}

int ecg_winograd_matrices(int m, int r, double *at, double *g, double *bt) {
    int n = m + r - 1;
    if (m < 1 || r < 1 || n > ECG_WINOGRAD_MAX_N) return -1;
    double e[ECG_WINOGRAD_MAX_N * ECG_WINOGRAD_MAX_N], einv[ECG_WINOGRAD_MAX_N * ECG_WINOGRAD_MAX_N];
    double va[ECG_WINOGRAD_MAX_N];
    for (int i = 0; i < n; i++) {
        eval_row(e + i * n, i, n, n);
        eval_row(g + i * r, i, n, r);
        eval_row(va, i, n, m);
        for (int j = 0; j < m; j++) at[j * n + i] = va[j];
    }
    if (invert(e, einv, n)) return -1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) bt[i * n + j] = einv[j * n + i];
    return 0;
}

int ecg_winograd_tile(int r) {
    int m = ECG_WINOGRAD_N - r + 1;
    return r >= 3 && m >= 2 ? m : 0;
}

int ecg_winograd_parts(int k) {
    int best = 0, best_m = 1;
    for (int parts = 1; parts <= k / 3; parts++) {
        int m = ecg_winograd_tile((k + parts - 1) / parts);
        if (m && (!best || parts * best_m < best * m)) best = parts, best_m = m; /* parts/m < best/best_m */
    }
    return best;
}

/* Winograd minimal filtering for 1D correlation (Lavin and Gray 2016, "Fast Algorithms for
 * Convolutional Neural Networks"): m outputs of an r-tap correlation from n = m + r - 1 inputs
 * with n multiplications instead of m * r,
 *     y = AT [(G g) .* (BT d)],   y[j] = sum_k g[k] d[j + k],  j < m,
 * AT [m, n], G [n, r], BT [n, n], row-major. Built by Toom-Cook at the points 0, 1, -1, 2, -2,
 * 1/2, -1/2, ... and infinity, in double. */
#ifndef ECG_WINOGRAD_H
#define ECG_WINOGRAD_H

#define ECG_WINOGRAD_N 8 /* transform size the executor uses */
#define ECG_WINOGRAD_MAX_N 12

/* Fills at, g, bt for F(m, r); -1 when m < 1, r < 1 or m + r - 1 > ECG_WINOGRAD_MAX_N. */
int ecg_winograd_matrices(int m, int r, double *at, double *g, double *bt);
/* Outputs per tile the executor uses for an r-tap filter (n = ECG_WINOGRAD_N, so m = 9 - r), or 0
 * when Winograd would not save multiplications worth the transforms (r < 3 or m < 2). */
int ecg_winograd_tile(int r);
/* Parts a k-tap filter is cut into, each of ceil(k / parts) taps with its own tiles summed in one
 * GEMM (ops/xnn_winograd.c): the count with the fewest products per output, parts * n / m (7 taps:
 * 2 parts of 4, 3.2 against F(2, 7)'s 4), the fewest parts on a tie; 0 when no count has a tile. */
int ecg_winograd_parts(int k);

#endif

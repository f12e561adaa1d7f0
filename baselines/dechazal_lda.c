/* Linear discriminant analysis with a shared covariance, solved with a small Cholesky
 * factorisation (30-50 features: no LAPACK needed). See baselines/dechazal.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/dechazal.h"

int ecg_cholesky(double *a, int n) {
    for (int j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (int k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
        if (!(d > 0) || !isfinite(d)) return -1;
        d = sqrt(d);
        a[j * n + j] = d;
        for (int i = j + 1; i < n; i++) {
            double s = a[i * n + j];
            for (int k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = s / d;
        }
    }
    return 0;
}

void ecg_cholesky_solve(const double *l, int n, double *b) {
    for (int i = 0; i < n; i++) { /* L y = b */
        double s = b[i];
        for (int k = 0; k < i; k++) s -= l[i * n + k] * b[k];
        b[i] = s / l[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) { /* L^T x = y */
        double s = b[i];
        for (int k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
        b[i] = s / l[i * n + i];
    }
}

int ecg_lda_fit(const double *x, int n, int stride, const unsigned char *use, const int *cols, int p, const int *y,
                int k, int balanced, double ridge, ecg_lda *m, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    if (n < 1 || p < 1 || p > ECG_LDA_MAX_P || k < 2 || k > ECG_LDA_MAX_K || !(ridge >= 0) || !isfinite(ridge)) {
        snprintf(err, errlen, "LDA: bad sizes (%d rows, %d features of at most %d, %d classes of at most %d) or "
                 "ridge %g", n, p, ECG_LDA_MAX_P, k, ECG_LDA_MAX_K, ridge);
        return -1;
    }
    for (int j = 0; j < p; j++)
        if (cols[j] < 0 || cols[j] >= stride) {
            snprintf(err, errlen, "LDA: column %d outside the row of %d", cols[j], stride);
            return -1;
        }
    m->k = k, m->p = p;
    memcpy(m->cols, cols, (size_t)p * sizeof *cols);
    long count[ECG_LDA_MAX_K] = {0}, total = 0;
    double mean[ECG_LDA_MAX_P] = {0}, sq[ECG_LDA_MAX_P] = {0};
    for (int i = 0; i < n; i++) {
        if (use && !use[i]) continue;
        if (y[i] < 0 || y[i] >= k) {
            snprintf(err, errlen, "LDA: label %d of row %d outside [0, %d)", y[i], i, k);
            return -1;
        }
        const double *row = x + (size_t)i * stride;
        for (int j = 0; j < p; j++) {
            if (!isfinite(row[cols[j]])) {
                snprintf(err, errlen, "LDA: feature %d of row %d is not finite", cols[j], i);
                return -1;
            }
            mean[j] += row[cols[j]];
        }
        count[y[i]]++, total++;
    }
    int seen = 0;
    for (int c = 0; c < k; c++) seen += (m->present[c] = count[c] > 0);
    if (seen < 2) {
        snprintf(err, errlen, "LDA: the training rows hold %d class(es); at least 2 needed", seen);
        return -1;
    }
    /* standardisation (plain, unweighted): only conditions the ridge; LDA itself is invariant */
    for (int j = 0; j < p; j++) m->shift[j] = mean[j] / (double)total;
    for (int i = 0; i < n; i++) {
        if (use && !use[i]) continue;
        const double *row = x + (size_t)i * stride;
        for (int j = 0; j < p; j++) sq[j] += (row[cols[j]] - m->shift[j]) * (row[cols[j]] - m->shift[j]);
    }
    for (int j = 0; j < p; j++) {
        double sd = sqrt(sq[j] / (double)total);
        m->scale[j] = sd > 1e-12 ? sd : 1.0; /* a constant feature: left as it is, the ridge holds it */
    }
    double (*mu)[ECG_LDA_MAX_P] = calloc(ECG_LDA_MAX_K, sizeof *mu);
    double *cov = calloc((size_t)p * p, sizeof *cov), z[ECG_LDA_MAX_P];
    if (!mu || !cov) {
        free(mu);
        free(cov);
        snprintf(err, errlen, "LDA: out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (use && !use[i]) continue;
        const double *row = x + (size_t)i * stride;
        for (int j = 0; j < p; j++) mu[y[i]][j] += (row[cols[j]] - m->shift[j]) / m->scale[j];
    }
    for (int c = 0; c < k; c++)
        for (int j = 0; j < p; j++) mu[c][j] = count[c] ? mu[c][j] / (double)count[c] : 0;
    /* each row's weight: balanced 1 / (seen * n_class), so every class's covariance counts the
     * same; else 1 / total (the usual pooled within-class covariance, maximum likelihood) */
    for (int i = 0; i < n; i++) {
        if (use && !use[i]) continue;
        const double *row = x + (size_t)i * stride;
        const double wgt = balanced ? 1.0 / ((double)seen * (double)count[y[i]]) : 1.0 / (double)total;
        for (int j = 0; j < p; j++) z[j] = (row[cols[j]] - m->shift[j]) / m->scale[j] - mu[y[i]][j];
        for (int a = 0; a < p; a++)
            for (int b = 0; b <= a; b++) cov[a * p + b] += wgt * z[a] * z[b];
    }
    for (int j = 0; j < p; j++) cov[j * p + j] += ridge;
    if (ecg_cholesky(cov, p)) {
        free(mu);
        free(cov);
        snprintf(err, errlen, "LDA: the covariance of the %d features is not positive definite (a constant or "
                 "duplicated feature?); a ridge > 0 fixes it", p);
        return -1;
    }
    for (int c = 0; c < k; c++) {
        if (!count[c]) continue;
        double w[ECG_LDA_MAX_P];
        memcpy(w, mu[c], (size_t)p * sizeof *w);
        ecg_cholesky_solve(cov, p, w);
        double q = 0;
        for (int j = 0; j < p; j++) q += mu[c][j] * w[j], m->w[c][j] = w[j];
        double prior = balanced ? 1.0 / seen : (double)count[c] / (double)total;
        m->b[c] = -0.5 * q + log(prior);
    }
    free(mu);
    free(cov);
    return 0;
}

void ecg_lda_posteriors(const ecg_lda *m, const double *row, double *post) {
    double g[ECG_LDA_MAX_K], top = -INFINITY, sum = 0;
    for (int c = 0; c < m->k; c++) {
        if (!m->present[c]) continue;
        g[c] = m->b[c];
        for (int j = 0; j < m->p; j++) g[c] += m->w[c][j] * (row[m->cols[j]] - m->shift[j]) / m->scale[j];
        if (g[c] > top) top = g[c];
    }
    for (int c = 0; c < m->k; c++) {
        post[c] = m->present[c] ? exp(g[c] - top) : 0.0;
        sum += post[c];
    }
    for (int c = 0; c < m->k; c++) post[c] /= sum;
}

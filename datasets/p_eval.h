/* How often the P-wave detector (datasets/fiducials.c) finds a P wave, by rhythm, on one MIT-BIH
 * record: the check behind `ecgbench data p-eval`. There is no P-wave reference in MIT-BIH, but its
 * rhythm annotations say where the atria fibrillate: a detector that finds P waves before the N
 * beats of sinus rhythm ("(N" episodes) far more often than before those of atrial fibrillation
 * ("(AFIB") tells P waves from what precedes every QRS. */
#ifndef ECG_P_EVAL_H
#define ECG_P_EVAL_H

#include <stddef.h>

typedef struct {
    int record;
    long sinus_n, sinus_n_p;  /* N beats in "(N" episodes; those with a P wave found */
    long afib_n, afib_n_p;    /* N beats in "(AFIB" episodes; those with a P wave found */
    double sinus_pr_ms_sum;   /* sums over the sinus N beats with a P wave, for means */
    double sinus_width_ms_sum;
} ecg_p_eval_counts;

/* Counts one record of mitdb_dir (MLII, band-passed as mitdb-aami's beats, every beat annotation
 * delineated, the rhythm tracked through the "+" annotations' AUX strings). 0, or -1 with err
 * naming the record (no MLII signal, a bad file). */
int ecg_p_eval_record(const char *mitdb_dir, int record, ecg_p_eval_counts *out, char *err, size_t errlen);

#endif

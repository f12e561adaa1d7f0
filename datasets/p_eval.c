/* P-wave presence by rhythm on one MIT-BIH record (see datasets/p_eval.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "datasets/fiducials.h"
#include "datasets/p_eval.h"

/* The rhythm a "+" annotation starts, as its AUX names it ("(N", "(AFIB", ...); NULL for others. */
static const char *rhythm_of(const ecg_wfdb_ann *a) {
    return !strcmp(ecg_wfdb_ann_symbol(a->code), "+") && a->aux[0] == '(' ? a->aux : NULL;
}

int ecg_p_eval_record(const char *mitdb_dir, int record, ecg_p_eval_counts *out, char *err, size_t errlen) {
    char name[32], path[4200], what[4200];
    snprintf(name, sizeof name, "%d", record);
    snprintf(what, sizeof what, "%s/%d", mitdb_dir, record);
    memset(out, 0, sizeof *out);
    out->record = record;
    ecg_wfdb_header h;
    memset(&h, 0, sizeof h);
    int32_t *adc = NULL;
    ecg_wfdb_ann *ann = NULL;
    float *x = NULL;
    long *r = NULL;
    int *beat_ann = NULL;
    ecg_fiducials *fid = NULL;
    int n_ann = 0, rc = -1, lead = -1;
    if (ecg_wfdb_read_record(mitdb_dir, name, &h, &adc, NULL, err, errlen)) return -1;
    for (int s = 0; s < h.n_sig && lead < 0; s++)
        if (!strcmp(h.sig[s].description, "MLII")) lead = s;
    if (lead < 0) {
        snprintf(err, errlen, "%s.hea: no MLII signal (P waves are looked for on MLII)", what);
        goto out;
    }
    snprintf(path, sizeof path, "%s/%d.atr", mitdb_dir, record);
    if (ecg_wfdb_read_annotations(path, &ann, &n_ann, err, errlen)) goto out;
    r = malloc((size_t)(n_ann + 1) * sizeof *r);
    beat_ann = malloc((size_t)(n_ann + 1) * sizeof *beat_ann);
    fid = malloc((size_t)(n_ann + 1) * sizeof *fid);
    if (!r || !beat_ann || !fid) {
        snprintf(err, errlen, "%s: out of memory", what);
        goto out;
    }
    int n_beats = 0;
    for (int i = 0; i < n_ann; i++) {
        if (!ecg_wfdb_ann_is_beat(ann[i].code)) continue;
        if (ann[i].sample < 0 || ann[i].sample >= h.n_samples || (n_beats && ann[i].sample <= r[n_beats - 1])) {
            snprintf(err, errlen, "%s: beat annotation %d at sample %ld is outside the record (%ld samples) or "
                     "not after the previous beat", path, i, ann[i].sample, h.n_samples);
            goto out;
        }
        beat_ann[n_beats] = i;
        r[n_beats++] = ann[i].sample;
    }
    if (!(x = ecg_mitdb_lead_mv(&h, adc, lead, what, err, errlen))) goto out;
    if (ecg_delineate(x, h.n_samples, h.fs, r, n_beats, ECG_FIDUCIAL_P_FLOOR_MV, fid, err, errlen)) goto out;
    const char *rhythm = "";
    for (int b = 0, i = 0; b < n_beats; b++) {
        for (; i <= beat_ann[b]; i++) /* rhythm changes up to and including this beat's annotation */
            if (rhythm_of(&ann[i])) rhythm = ann[i].aux;
        if (strcmp(ecg_wfdb_ann_symbol(ann[beat_ann[b]].code), "N")) continue;
        ecg_p_features p = ecg_p_wave_features(&fid[b], h.fs);
        if (!strcmp(rhythm, "(N")) {
            out->sinus_n++;
            if (p.present) {
                out->sinus_n_p++;
                out->sinus_pr_ms_sum += p.pr_ms;
                out->sinus_width_ms_sum += p.width_ms;
            }
        } else if (!strcmp(rhythm, "(AFIB")) {
            out->afib_n++;
            out->afib_n_p += p.present;
        }
    }
    rc = 0;
out:
    free(x);
    free(r);
    free(beat_ann);
    free(fid);
    free(ann);
    free(adc);
    ecg_wfdb_header_free(&h);
    return rc;
}

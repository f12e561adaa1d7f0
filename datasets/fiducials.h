/* A small wave-boundary detector (delineator) for beats at known positions: QRS onset and offset,
 * T-wave offset and whether a P wave is present. It stands in for ecgpuwave, which de Chazal et
 * al. (IEEE TBME 51(7), 2004) used for their heartbeat-interval features; it is simpler and was
 * never validated against a wave-boundary reference (QT database), so its durations are
 * consistent estimates, not clinical measurements. Rules in datasets/fiducials.c. */
#ifndef ECG_FIDUCIALS_H
#define ECG_FIDUCIALS_H

#include <stddef.h>

typedef struct {
    long qrs_on, qrs_off;   /* sample indices, qrs_on <= r <= qrs_off */
    long t_off;             /* T-wave end (>= qrs_off) */
    int p_present;          /* 1 when a P-wave bump precedes the QRS */
    long p_on, p_off;       /* its half-amplitude points; -1 when no P wave */
    long p_peak;            /* its largest deviation from the window's baseline line; -1 when none */
    double p_amp;           /* that deviation, signed, in x's units (smoothed); 0 when none */
} ecg_fiducials;

/* Per-beat P-wave features from a delineated beat (fs Hz): presence, amplitude (x's units),
 * half-amplitude width and PR interval (half-amplitude onset to QRS onset) in ms. A beat without a
 * P wave has present 0 and NAN for the other three: unknown, never a made-up value. */
typedef struct {
    int present;
    double amp, width_ms, pr_ms;
} ecg_p_features;
ecg_p_features ecg_p_wave_features(const ecg_fiducials *f, double fs);

/* x: one lead, n samples at fs Hz (>= 50), band-passed (baseline near 0; units free: every
 * threshold is relative, except the P wave's absolute floor, given in x's units as p_floor; mV
 * data: ECG_FIDUCIAL_P_FLOOR_MV). r: n_beats beat positions (the reference annotations),
 * strictly increasing, inside [0, n). out: n_beats entries. Beats near the record's edges get
 * windows clipped to the record (boundaries then clipped too, never outside [0, n)).
 * Errors: a non-finite sample (named), positions out of order or outside the record, bad fs. */
#define ECG_FIDUCIAL_P_FLOOR_MV 0.01
int ecg_delineate(const float *x, long n, double fs, const long *r, int n_beats, double p_floor, ecg_fiducials *out,
                  char *err, size_t errlen);

#endif

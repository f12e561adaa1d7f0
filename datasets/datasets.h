/* ecgbench datasets: WFDB records (header, signals, annotations), preprocessing, QRS detection,
 * RR features and the tasks (mitdb-aami and its two-lead variants, cinc2017, synthetic). Depends
 * on libc and its Debian libraries only (not on ops/).
 *
 * Errors: every function that can fail returns 0 / -1 and writes a message naming the file and
 * the line (headers) or byte offset (signals, annotations) into err. Nothing here aborts or
 * trusts a length it has not checked against the bytes it holds. */
#ifndef ECG_DATASETS_H
#define ECG_DATASETS_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- WFDB header (.hea) */
#define ECG_WFDB_MAX_SIG 64

typedef struct {
    char file[256];      /* signal file name as written (relative to the header's folder) */
    int format;          /* 212, 16, 80 (others rejected with a clear message) */
    int samples_per_frame;
    int skew;
    long byte_offset;
    double gain;         /* adu per physical unit; 0 in the file means 200 (WFDB default) */
    int baseline;        /* defaults to adc_zero */
    char units[32];      /* default "mV" */
    int adc_resolution;
    int adc_zero;
    int init_value;
    int checksum;        /* 16-bit sum of the signal's samples, when has_checksum */
    int has_checksum;    /* the signal line gives one (field 7): the reader verifies it */
    int block_size;
    char description[128];
} ecg_wfdb_signal;

typedef struct {
    char record[64];
    int n_sig;
    double fs;           /* frames per second; default 250 */
    long n_samples;      /* per signal; -1 when the header leaves it out */
    ecg_wfdb_signal sig[ECG_WFDB_MAX_SIG];
    char **comments;     /* '#' lines, without the '#' and leading space */
    int n_comments;
    int age;             /* from an MIT-BIH style comment "# 69 M 1085 1629 x1"; -1 unknown */
    char sex;            /* 'M', 'F' or '?' */
} ecg_wfdb_header;

/* Parses header text; `what` names it in messages (e.g. the path). */
int ecg_wfdb_parse_header(const char *text, size_t len, const char *what, ecg_wfdb_header *h, char *err,
                          size_t errlen);
int ecg_wfdb_read_header(const char *path, ecg_wfdb_header *h, char *err, size_t errlen);
void ecg_wfdb_header_free(ecg_wfdb_header *h);

/* ---------------------------------------------------------------- WFDB signals (.dat) */
/* Values per frame of the signals sig[first .. first+count-1]: the sum of their
 * samples_per_frame (= count when every signal has one sample per frame); -1 if the range is bad. */
int ecg_wfdb_frame_width(const ecg_wfdb_header *h, int first, int count);
/* Decodes one signal file's bytes holding the signals sig[first .. first+count-1] of h (they
 * share the file), frames interleaved. Writes n_samples frames of W = ecg_wfdb_frame_width
 * values into adc (frame-major: adc[t * W + k]; within a frame, signal first's samples_per_frame
 * values come first, then the next signal's; with one sample per frame adc[t * count + j]).
 * Formats 212, 16, 80; a nonzero skew is rejected. A file shorter than the header promises is an
 * error naming the file, the byte offset and both lengths. */
int ecg_wfdb_decode(const ecg_wfdb_header *h, int first, int count, const uint8_t *buf, size_t len,
                    const char *what, int32_t *adc, char *err, size_t errlen);
/* Reads every signal of the record at `dir`/`record` (.hea + its .dat files). *adc gets
 * n_samples frames of ecg_wfdb_frame_width(h, 0, n_sig) values (n_samples * n_sig when every
 * signal has one sample per frame), frame-major in signal order; free() it. A header without a
 * sample count gets it from the first signal file's length. Invalid-sample markers (-2048 in
 * 212, -32768 in 16, -128 in 80) are kept as they are and counted in *n_invalid (may be NULL).
 * A signal whose header line gives a checksum is verified against the samples read: a mismatch
 * is an error naming the record, the signal and the file. */
int ecg_wfdb_read_record(const char *dir, const char *record, ecg_wfdb_header *h, int32_t **adc, long *n_invalid,
                         char *err, size_t errlen);
/* Reads a whole file (at most max_bytes, else an error) into *buf (free() it). */
int ecg_wfdb_read_bytes(const char *path, size_t max_bytes, uint8_t **buf, size_t *len, char *err, size_t errlen);
/* Physical units: (adc - baseline) / gain. */
float ecg_wfdb_physical(const ecg_wfdb_signal *s, int32_t adc);

/* ---------------------------------------------------------------- WFDB annotations (.atr) */
typedef struct {
    long sample;         /* absolute sample number */
    int code;            /* WFDB annotation code (1 = NORMAL 'N', ...) */
    int subtype, chan, num;
    char aux[256];       /* AUX string (e.g. rhythm "(AFIB"), "" if none */
} ecg_wfdb_ann;

/* Parses MIT-format annotation bytes (SKIP, NUM, SUB, CHN, AUX handled; EOF marker required:
 * a file cut mid-record is an error with the byte offset). *anns: free(). */
int ecg_wfdb_parse_annotations(const uint8_t *buf, size_t len, const char *what, ecg_wfdb_ann **anns, int *n,
                               char *err, size_t errlen);
int ecg_wfdb_read_annotations(const char *path, ecg_wfdb_ann **anns, int *n, char *err, size_t errlen);
/* WFDB mnemonic of a code ("N", "A", "V", "+", ...); "?" for unknown codes. */
const char *ecg_wfdb_ann_symbol(int code);
/* 1 if the code marks a beat (QRS) annotation, as WFDB's isqrs(). */
int ecg_wfdb_ann_is_beat(int code);

/* ---------------------------------------------------------------- preprocessing (preprocess.c) */
/* All take one channel of n >= 1 samples; NaN or infinity anywhere in the input is an error
 * naming the sample index. Work is done in double precision; output is float. */

/* Cascade of second-order sections, a0 = 1: y = prod (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2). */
#define ECG_SOS_MAX 8
typedef struct {
    int n;
    double b[ECG_SOS_MAX][3], a[ECG_SOS_MAX][3];
} ecg_sos;

/* Butterworth band-pass [f_lo, f_hi] Hz (-3 dB edges of one pass) designed by liquid-dsp
 * (liquid_iirdes, bilinear transform, second-order sections). order: 1..4, the low-pass
 * prototype's order; the band-pass has 2*order poles in `order` sections. Needs
 * 0 < f_lo < f_hi < fs/2. */
int ecg_bandpass_design(double f_lo, double f_hi, double fs, int order, ecg_sos *s, char *err, size_t errlen);
/* Zero-phase filtering: the cascade forward, then backward (filtfilt), so the magnitude is
 * squared (-6 dB at the design edges) and there is no delay. Edges: the signal is extended at
 * both ends by an odd reflection (2*x[0] - x[k] and 2*x[n-1] - x[n-1-k], k = 1..min(n-1, pad)),
 * which continues the local level and slope, and each section starts in the steady state of the
 * first extended sample, so an edge starts (almost) no transient. y may equal x. */
int ecg_sos_filtfilt(const ecg_sos *s, const float *x, long n, long pad, float *y, char *err, size_t errlen);
/* Default ECG cleaning: ecg_bandpass_design(f_lo, f_hi, fs, 2) + ecg_sos_filtfilt with pad =
 * 3 periods of f_lo (the slowest transient's scale). The usual band is 0.5-40 Hz
 * (ECG_BANDPASS_LO_HZ, ECG_BANDPASS_HI_HZ). */
#define ECG_BANDPASS_LO_HZ 0.5
#define ECG_BANDPASS_HI_HZ 40.0
int ecg_bandpass(const float *x, long n, double fs, double f_lo, double f_hi, float *y, char *err, size_t errlen);

/* Resamples fs_in -> fs_out with libsamplerate's SRC_SINC_MEDIUM_QUALITY (band-limited sinc,
 * 97 dB SNR, 90 % of the lower Nyquist band kept: far above what ECG needs, several times faster
 * than SINC_BEST). Output length round(n * fs_out / fs_in) (at least 1); sample k of the output
 * is at time k / fs_out, as sample 0 of both is at time 0. The signal is taken as zero outside
 * [0, n), so a large DC offset rings for a few ms at the edges: band-pass first. *y: free(). */
int ecg_resample(const float *x, long n, double fs_in, double fs_out, float **y, long *n_out, char *err,
                 size_t errlen);

/* Per-record z-score in place: (x - mean) / std (population std). A flat signal (std <= 1e-6
 * of its largest magnitude, all zeros included) is an error, so no NaN or huge value comes out. */
int ecg_zscore(float *x, long n, char *err, size_t errlen);

/* Fixed-length windows. ecg_crop_start gives the first sample kept when n samples are cut to
 * `length`: ECG_CROP_LEFT keeps the start (0), ECG_CROP_CENTER keeps the middle
 * ((n - length) / 2, rounded down); 0 when n <= length. ecg_crop_pad copies samples
 * [start, start + length) of x (n frames of `channels` values, time-major) into out
 * (length * channels) and fills whatever lies past the end of x with zeros: a short signal
 * keeps its start at sample 0 and is zero-padded at the end, in either mode. */
typedef enum { ECG_CROP_LEFT = 0, ECG_CROP_CENTER = 1 } ecg_crop_mode;
long ecg_crop_start(long n, long length, ecg_crop_mode mode);
void ecg_crop_pad(const float *x, long n, int channels, long start, long length, float *out);

/* ---------------------------------------------------------------- QRS detection (qrs.c) */
/* Pan & Tompkins (1985) style detector on one lead at any fs >= 50 Hz (windows are scaled by
 * fs; nothing is resampled): zero-phase Butterworth band-pass 5-15 Hz, five-point derivative,
 * squaring, moving-window integration (150 ms, centred), fiducial marks at the integrated
 * signal's peaks at least 200 ms apart (refractory period), two adaptive threshold pairs (signal
 * and noise peak levels) on the integrated and the band-passed signal, halved first thresholds
 * when the rhythm is irregular, search-back with the second thresholds when no beat came within
 * 166 % of the RR average, T-wave discrimination (a candidate within 360 ms of the last beat
 * whose largest slope is under half of that beat's is a T wave), and the R peak placed at the
 * largest |band-passed| sample near the mark. *peaks: ascending sample indices, free() them (NULL
 * when none). Errors: non-finite input (naming the sample), n < 1, fs out of range. */
int ecg_qrs_detect(const float *x, long n, double fs, long **peaks, int *n_peaks, char *err, size_t errlen);

/* Beat-by-beat comparison: a reference beat and a detection match when they are at most
 * `window` samples apart; each reference beat matches at most one detection and vice versa,
 * pairs taken greedily from the closest (ties: earlier reference, then earlier detection).
 * tp = matched pairs, fn = unmatched references, fp = unmatched detections. The lists need not
 * be sorted. Returns 0, or -1 on negative sizes or window, or out of memory. */
int ecg_qrs_match(const long *ref, int n_ref, const long *det, int n_det, long window, int *tp, int *fp, int *fn);

/* ---------------------------------------------------------------- RR features, AAMI classes (rr.c, aami.c) */
/* AAMI EC57 heartbeat classes, grouped from the MIT-BIH symbols as de Chazal et al. 2004 (Table I) do:
 * N = N L R e j, S = A a J S, V = V E, F = F, Q = / f Q. Every other annotation (rhythm, noise,
 * 'x' non-conducted P wave, ...) is not a beat of the task. */
enum { ECG_AAMI_N, ECG_AAMI_S, ECG_AAMI_V, ECG_AAMI_F, ECG_AAMI_Q, ECG_AAMI_N_CLASSES };
extern const char *const ecg_aami_class_names[ECG_AAMI_N_CLASSES];   /* "N", "S", "V", "F", "Q" */
/* Class of a WFDB annotation mnemonic ("N", "A", "/", ...); -1 when it is not a beat of the task. */
int ecg_aami_class_of_symbol(const char *symbol);
/* Same through ecg_wfdb_ann_symbol(code). */
int ecg_aami_class_of_code(int code);

/* MIT-BIH record sets: "ds1", "ds2" (de Chazal's inter-patient sets, 22 records each) and "paced"
 * (102, 104, 107, 217; excluded from both). Returns the count and points *records at the list
 * (ascending); -1 for an unknown name. */
int ecg_mitdb_record_set(const char *name, const int **records);
/* Record-wise cross-validation over DS1: fold k (1 .. ECG_MITDB_CV_FOLDS) holds the records it
 * returns (ascending; *records points at them), a fixed partition of DS1 that every mitdb-aami
 * task's "cvK-train" / "cvK-val" splits use. -1 for k out of range. */
#define ECG_MITDB_CV_FOLDS 5
int ecg_mitdb_cv_fold(int k, const int **records);
/* The beats of a record's annotations: the AAMI-classed ones (other codes are rhythm, noise, ...),
 * their samples into at[] and classes into cls[] (room for n_ann each). Returns the count, or -1
 * when a beat lies outside the record's n_samples (`what` names the annotation file). */
int ecg_mitdb_aami_beats(const char *what, const ecg_wfdb_ann *ann, int n_ann, long n_samples, long *at, int *cls,
                         char *err, size_t errlen);
/* Signal `lead` of a read record in mV, band-passed 0.5-40 Hz without phase shift as mitdb-aami's
 * beats are (malloc'd, n_samples long); `what` names the record in errors. */
float *ecg_mitdb_lead_mv(const ecg_wfdb_header *h, const int32_t *adc, int lead, const char *what, char *err,
                         size_t errlen);
/* A MIT-BIH record's MLII signal and its one other signal (indices into h->sig), found by header
 * name (record 114 stores them swapped). An error names the record (`what`) and who needs them
 * when there is no MLII or not exactly one other signal. */
int ecg_mitdb_mlii_and_other(const ecg_wfdb_header *h, const char *what, const char *who, int *mlii, int *other,
                             char *err, size_t errlen);
/* De Chazal et al. 2004 (Table II) beats per AAMI class in "ds1" / "ds2" (N, S, V, F, Q); NULL
 * for another name. Printed beside our counts by `ecgbench data info`. */
const int *ecg_dechazal_counts(const char *set);

/* Seeded choice of exactly k of n items: picked[i] = 1 for the chosen ones, 0 otherwise. The
 * same (seed, n, k) always picks the same items (splitmix64 + partial Fisher-Yates; no global
 * state). Used for the validation records and the intra-patient beat split. */
void ecg_seeded_pick(uint64_t seed, int n, int k, unsigned char *picked);

/* RR features per beat from beat times in seconds (rr.c). RR interval k runs from beat k to k+1.
 *   pre  = t[i] - t[i-1]; post = t[i+1] - t[i] (the first beat's pre is its post and the last
 *          beat's post is its pre, since the neighbour is missing);
 *   local = mean of the up to 10 intervals around the beat: the 5 ending at or before beat i
 *          (k = i-5 .. i-1) and the 5 starting at or after it (k = i .. i+4), clipped to the record;
 *   *_norm = value / the record's mean RR ((t[n-1] - t[0]) / (n-1)), so a patient's resting rate
 *          drops out; pre_local, post_local = pre / local, post / local (prematurity). */
enum {
    ECG_RR_PRE, ECG_RR_POST, ECG_RR_LOCAL, ECG_RR_PRE_NORM, ECG_RR_POST_NORM, ECG_RR_LOCAL_NORM,
    ECG_RR_PRE_LOCAL, ECG_RR_POST_LOCAL, ECG_RR_N_FEATURES
};
#define ECG_RR_LOCAL_HALF 5
extern const char *const ecg_rr_feature_names[ECG_RR_N_FEATURES];
/* mitdb-aami's per-beat features: the RR features above, then age, age_unknown, sex_male, sex_unknown,
 * then the P wave before the beat on MLII (datasets/fiducials.h): p_present (0/1), p_amp_mv (signed),
 * p_width_s (half-amplitude width), p_pr_s (P onset to QRS onset); without a P wave the last three
 * are 0, flagged by p_present 0, never estimated; then rr_irregularity (ecg_rr_irregularity). */
#define ECG_MITDB_N_FEATURES (ECG_RR_N_FEATURES + 9)
extern const char *const ecg_mitdb_feature_names[ECG_MITDB_N_FEATURES];
/* t: n >= 2 strictly increasing times; out: n * ECG_RR_N_FEATURES (beat-major). A time that is
 * not finite or not after its predecessor is an error naming `what` and the beat index. */
int ecg_rr_features(const double *t, int n, const char *what, float *out, char *err, size_t errlen);
/* How irregular the rhythm around each beat is, leaving out the beat's own two intervals, so that a
 * premature beat in a steady rhythm does not raise it while atrial fibrillation (every interval
 * off) does: the median absolute difference between successive RR intervals among the
 * ECG_RR_IRREG_SIDE intervals before beat i's pre interval and the ECG_RR_IRREG_SIDE after its post
 * interval (clipped to the record: up to 2 x (SIDE - 1) differences), over the beat's local RR; 0
 * when the record leaves no such pair. t and rr as ecg_rr_features took and gave them; out: n. */
#define ECG_RR_IRREG_SIDE 6
void ecg_rr_irregularity(const double *t, int n, const float *rr, float *out);

/* ---------------------------------------------------------------- tasks (task_*.c) */
/* A task yields examples x [length, channels] (time-major, as the ops backend takes them),
 * labels, and optional patient features. Splits of mitdb-aami: "ds1", "ds2" (de Chazal's sets,
 * all beats), "train" / "val" (DS1, validation records carved out by record, never by beat),
 * "test" (= DS2), "intra-train" / "intra-test" (seeded random beat split). cinc2017: "train",
 * "val", "test" (stratified seeded split). synthetic: "train", "test". */
typedef struct {
    char task[32], split[32];
    int n;                      /* examples */
    int length, channels;
    float *x;                   /* n * length * channels */
    int *y;                     /* n labels in [0, n_classes) */
    int n_classes;
    const char *const *class_names;
    int n_features;             /* per example; 0 and features NULL when the task has none */
    float *features;            /* n * n_features */
    const char *const *feature_names;
    int *record;                /* source record number per example (e.g. 100 for MIT-BIH 100) */
    char data_version[160];     /* what data this came from, e.g. "mitdb 1.0.0 (48 records, sha256 ...)" */
    void *names_storage;        /* heap block behind class_names / feature_names when they are not a task's
                                 * static arrays (a cache load); NULL otherwise. Loaders start from a zeroed
                                 * struct, so they never need to touch it. */
} ecg_dataset;
/* Frees x, y, features, record and names_storage, then zeroes *d (safe on a zeroed struct, twice). */
void ecg_dataset_free(ecg_dataset *d);

typedef struct {
    const char *name;
    const char *description;
    const char *const *splits;
    int n_splits;
    int (*load)(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d, char *err, size_t errlen);
    const char *data_subdir; /* its raw files under data_dir (fingerprinted for the cache); NULL: none */
    const char *settings;    /* every preprocessing setting, in words: part of the cache key, so
                              * change it whenever the loader's output would change */
    /* What every split of it holds per example (checked on load), so a model can be sized for a
     * task without loading it. */
    int length, channels, n_classes, n_features;
    const char *const *feature_names;   /* NULL when n_features is 0 */
    /* The task's own headline score when it has one: the mean F1 of its first score_classes
     * classes (cinc2017: the challenge's F1 over Normal, AF, Other). NULL/0: none. */
    const char *score_name;
    int score_classes;
    /* Record-wise cross-validation folds over its training records (mitdb-aami's family:
     * ECG_MITDB_CV_FOLDS over DS1), loaded as the splits "cvK-train" and "cvK-val" (K = 1 ..
     * cv_folds) beside those listed in splits; 0: none. */
    int cv_folds;
} ecg_task;
/* K when split is "cvK-train" or "cvK-val" (K >= 1, no leading zero), *is_val saying which; else 0. */
int ecg_cv_split(const char *split, int *is_val);
/* Registry (task_registry.c). NULL for an unknown name. */
const ecg_task *ecg_task_find(const char *name);
const ecg_task *ecg_task_at(int i);   /* NULL past the end */
/* ecg_task_find, or NULL with err "unknown task 'x' (known tasks: ...)". */
const ecg_task *ecg_task_lookup(const char *name, char *err, size_t errlen);
/* Loads a split; an unknown task or split is an error listing the known ones. data_dir holds
 * mitdb/ and cinc2017/ as `make data` lays them out (see scripts/data.sh). */
int ecg_task_load(const char *task, const char *split, const char *data_dir, uint64_t seed, ecg_dataset *d,
                  char *err, size_t errlen);
/* The seed of every command that takes --seed (train, compress, eval, data info, data export)
 * when none is given: the seeded splits (mitdb-aami's validation records, the intra-patient beat
 * split, cinc2017's folds) and training's draws depend on it, and the committed runs used it. */
#define ECG_DEFAULT_SEED 1
#define ECG_SEED_STR_(x) #x
#define ECG_SEED_STR(x) ECG_SEED_STR_(x)
#define ECG_DEFAULT_SEED_STR ECG_SEED_STR(ECG_DEFAULT_SEED) /* for help texts: "1" */

/* 0 when path is a regular file (after symbolic links); else -1 with an error naming it and what
 * it is (a folder, a FIFO, a device...): readers check before opening, so a FIFO cannot hang them
 * and a folder does not pass for a huge file (file_check.c). */
int ecg_check_regular_file(const char *path, char *err, size_t errlen);
/* The first n bytes of s (up to a NUL) as printable ASCII for an error message: other bytes as
 * \xNN, so binary garbage in a file is not echoed raw to the terminal. out gets at most outn - 1
 * characters (cut with "..." when longer); returns out. */
const char *ecg_printable(const char *s, size_t n, char *out, size_t outn);

/* CinC 2017 record reader (task_cinc2017.c): the MATLAB v4 variable `val` (int16, 1 x n) of `path`
 * through libmatio. *val: n values, free(). Exposed so tests can check it against the raw bytes. */
int ecg_cinc_read_mat(const char *path, int16_t **val, long *n, char *err, size_t errlen);
/* Examples per cinc2017 record: 30 s at 300 Hz. */
#define ECG_CINC_FS 300
#define ECG_CINC_LENGTH 9000
#define ECG_CINC_N_CLASSES 4
/* Synthetic beats (task_synthetic.c): per split and class, at 360 Hz. */
#define ECG_SYNTH_LENGTH 252
#define ECG_SYNTH_N_FEATURES 3
extern const char *const ecg_synth_feature_names[ECG_SYNTH_N_FEATURES];
#define ECG_SYNTH_FS 360
#define ECG_MITDB_WINDOW 252   /* samples per beat window (90 before, 162 after, at 360 Hz) */
#define ECG_SYNTH_TRAIN_PER_CLASS 200
#define ECG_SYNTH_TEST_PER_CLASS 50

/* Cache of prepared datasets (cache.c): key = hash of the input files' bytes or checksums and of
 * every preprocessing setting. load: 0 hit, 1 miss, -1 error (a corrupt cache file is a miss
 * after a warning, never a wrong answer). */
/* FNV-1a 64: start with h = ECG_HASH_INIT (the FNV offset basis) and chain calls. Not
 * cryptographic; it only has to tell changed inputs apart. */
#define ECG_HASH_INIT 0xcbf29ce484222325ULL
uint64_t ecg_hash_bytes(uint64_t h, const void *p, size_t n);
/* cache_dir NULL means this folder; save creates it (one level) when missing. */
#define ECG_CACHE_DIR_DEFAULT "data/cache"
int ecg_cache_load(const char *cache_dir, uint64_t key, ecg_dataset *d, char *err, size_t errlen);
int ecg_cache_save(const char *cache_dir, uint64_t key, const ecg_dataset *d, char *err, size_t errlen);

/* ecg_task_load through the cache (task_cached.c): the key hashes the task, split, seed, the
 * task's settings string and a fingerprint of every file under data_dir/data_subdir (path,
 * size, modification time). cache_dir NULL: ecg_default_cache_dir(). *hit says whether it came
 * from the cache. A cache that cannot be read or written costs time, never correctness. */
/* Where the commands look when not told: $ECG_DATA_DIR if set and not empty, else "data" (where
 * `make data` puts the sets); $ECG_CACHE_DIR if set and not empty, else ECG_CACHE_DIR_DEFAULT. */
const char *ecg_default_data_dir(void);
const char *ecg_default_cache_dir(void);
int ecg_task_load_cached(const char *task, const char *split, const char *data_dir, uint64_t seed,
                         const char *cache_dir, ecg_dataset *d, int *hit, char *err, size_t errlen);

/* The tasks' loaders, as the registry lists them (same contract as ecg_task.load). */
int ecg_task_mitdb_aami_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d, char *err,
                             size_t errlen);
/* mitdb-aami's beats, splits and window with x [T, 2]: MLII, then the record's other lead (all 44
 * records) or V1 (the records whose second lead is V1; the others are dropped). */
int ecg_task_mitdb_2lead_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d, char *err,
                              size_t errlen);
int ecg_task_mitdb_2lead_v1_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d,
                                 char *err, size_t errlen);
/* mitdb-aami's beats, splits and window with x [T, 2]: MLII, then MLII minus the record's median
 * MLII beat (the per-sample median of all its beats' windows). */
int ecg_task_mitdb_template_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d,
                                 char *err, size_t errlen);
/* Both at once, x [T, 3]: MLII, the record's other lead, MLII minus its median MLII beat. */
int ecg_task_mitdb_2lead_template_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d,
                                       char *err, size_t errlen);
int ecg_task_mitdb_intra_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d, char *err,
                              size_t errlen);
int ecg_task_cinc2017_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d, char *err,
                           size_t errlen);
int ecg_task_synthetic_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d, char *err,
                            size_t errlen);

/* ---------------------------------------------------------------- end */
#endif

/* Deterministic random numbers (ops/rng.c): parameter initialisation, dropout masks, test data. */
#ifndef ECG_RNG_H
#define ECG_RNG_H

#include <stdint.h>

typedef struct { uint64_t s; } ecg_rng;
uint64_t ecg_rng_next(ecg_rng *r);             /* splitmix64 */
float ecg_rng_uniform(ecg_rng *r);             /* [0, 1) */
float ecg_rng_normal(ecg_rng *r);
uint64_t ecg_hash64(uint64_t a, uint64_t b);   /* seed mixing */

#endif

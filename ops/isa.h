/* Which SIMD path our own kernels (ops/sparse_gemm.c, ops/small_gemm.c) take on this CPU (ops/isa.c). */
#ifndef ECG_ISA_H
#define ECG_ISA_H

typedef enum { ECG_ISA_SCALAR, ECG_ISA_AVX2, ECG_ISA_AVX512 } ecg_isa;  /* AVX2 means AVX2 + FMA */
ecg_isa ecg_isa_best(void);                 /* the widest path this CPU runs */
int ecg_isa_supported(ecg_isa isa);
const char *ecg_isa_name(ecg_isa isa);

#endif

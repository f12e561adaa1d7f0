/* Which SIMD path our own kernels take: a pure function of the CPU (libgcc's cpu model,
 * initialised before main), no cached state. */
#include "isa.h"

#if defined(__x86_64__) || defined(__i386__)
#define ECG_X86 1
#endif

const char *ecg_isa_name(ecg_isa isa) {
    switch (isa) {
    case ECG_ISA_SCALAR: return "scalar";
    case ECG_ISA_AVX2: return "avx2";
    case ECG_ISA_AVX512: return "avx512";
    default: return "unknown";
    }
}

ecg_isa ecg_isa_best(void) {
#ifdef ECG_X86
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx2 && __builtin_cpu_supports("avx512f")) return ECG_ISA_AVX512;
    if (avx2) return ECG_ISA_AVX2;
#endif
    return ECG_ISA_SCALAR;
}

int ecg_isa_supported(ecg_isa isa) { return isa >= ECG_ISA_SCALAR && isa <= ecg_isa_best(); }

// Which instruction set the hot kernels use (covariance, neighbour scan): the best the CPU
// has, capped by $ES_SIMD ("portable", "avx2", "avx512") or by set_simd_cap() in tests and the
// benchmark, so that every path can be checked and timed on any machine that has it.
#pragma once

#include <string>

namespace es {

enum class SimdLevel { Portable = 0, Avx2 = 1, Avx512 = 2 };

// What the CPU supports (AVX2 needs FMA too; AVX-512 needs F and BW).
SimdLevel cpu_simd_level();
// The level the kernels use now: min(cpu_simd_level(), cap).
SimdLevel simd_level();
// Caps the level (a cap above the CPU's has no effect). The first call to simd_level() reads
// $ES_SIMD as the initial cap.
void set_simd_cap(SimdLevel cap);
std::string simd_level_name(SimdLevel level);  // "portable", "avx2", "avx512"
// The CPU's relevant flags as the kernels see them, e.g. "avx2 fma avx512f avx512bw".
std::string cpu_simd_flags();

}  // namespace es

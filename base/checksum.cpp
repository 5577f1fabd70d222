#include "base/checksum.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#if XXH_VERSION_NUMBER < 800
#error "xxHash 0.8 or later is needed (XXH3's hash is stable from 0.8.0)"
#endif

namespace otiose::detail {

std::uint64_t portable_checksum(const unsigned char* p, std::size_t n) {
  return XXH3_64bits(p, n);
}

#if defined(OTIOSE_CHECKSUM_AVX2)
// avx2_checksum() is base/checksum_avx2.cpp's.
bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#else
bool cpu_has_avx2() {
  return false;
}
std::uint64_t avx2_checksum(const unsigned char* p, std::size_t n) {
  return portable_checksum(p, n);
}
#endif

std::uint64_t checksum(const unsigned char* p, std::size_t n) {
  return cpu_has_avx2() ? avx2_checksum(p, n) : portable_checksum(p, n);
}

}  // namespace otiose::detail

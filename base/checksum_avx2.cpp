// XXH3 built with -mavx2 (CMakeLists.txt), called only on a CPU that has it:
// it verifies a model's blocks, most of what a pasted ad reads, about twice
// as fast as the SSE2 build. Nothing but xxHash's own static functions is
// compiled here, so no AVX2 code can reach an inline function another file
// shares.
#include <cstddef>
#include <cstdint>

#include "base/checksum.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#if XXH_VECTOR != XXH_AVX2
#error "base/checksum_avx2.cpp must be compiled with -mavx2"
#endif

namespace otiose::detail {

std::uint64_t avx2_checksum(const unsigned char* p, std::size_t n) {
  return XXH3_64bits(p, n);
}

}  // namespace otiose::detail

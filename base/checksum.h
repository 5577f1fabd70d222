// base/: the checksum every layer uses (private): model blocks, table sums,
// content hashes.
#ifndef OTIOSE_BASE_CHECKSUM_H_
#define OTIOSE_BASE_CHECKSUM_H_

#include <cstddef>
#include <cstdint>

namespace otiose::detail {

// XXH3's 64-bit hash of [p, p + n) (xxHash 0.8, a stable format): the same
// value on every machine, computed with AVX2 where the CPU has it.
std::uint64_t checksum(const unsigned char* p, std::size_t n);

// The two builds checksum() chooses between, for the tests: the portable
// one, and the AVX2 one, to be called only when cpu_has_avx2() (without an
// AVX2 build, the portable one again).
std::uint64_t portable_checksum(const unsigned char* p, std::size_t n);
std::uint64_t avx2_checksum(const unsigned char* p, std::size_t n);
bool cpu_has_avx2();

}  // namespace otiose::detail

#endif  // OTIOSE_BASE_CHECKSUM_H_

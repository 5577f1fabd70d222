// base/: the checksum every layer uses (private): model blocks, table sums,
// content hashes.
#ifndef OTIOSE_BASE_CHECKSUM_H_
#define OTIOSE_BASE_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace otiose::detail {

// A fast 64-bit checksum (multiply-xorshift over 8-byte words).
inline std::uint64_t checksum(const unsigned char* p, std::size_t n) {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  std::uint64_t h[4] = {n ^ kMul, 0x243F6A8885A308D3ull, 0x13198A2E03707344ull,
                        0xA4093822299F31D0ull};
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int lane = 0; lane < 4; ++lane) {
      std::uint64_t v;
      std::memcpy(&v, p + i + 8 * static_cast<std::size_t>(lane), 8);
      h[lane] = (h[lane] ^ v) * kMul;
      h[lane] ^= h[lane] >> 29;
    }
  }
  std::uint64_t r = h[0] ^ (h[1] * 3) ^ (h[2] * 5) ^ (h[3] * 7);
  for (; i < n; ++i) {
    r = (r ^ p[i]) * kMul;
    r ^= r >> 31;
  }
  r ^= r >> 33;
  r *= 0xFF51AFD7ED558CCDull;
  r ^= r >> 33;
  return r;
}

}  // namespace otiose::detail

#endif  // OTIOSE_BASE_CHECKSUM_H_

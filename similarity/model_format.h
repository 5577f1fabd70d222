// The similarity model file: layout shared by the writer and the reader
// (private). Changing anything here changes the format: bump the version.
//
// A little-endian file: a fixed Header, a table of Sections, then the
// sections, each 8-byte aligned, the last being kBlockSums: a checksum of
// every kBlockSize bytes from the end of the header up to kBlockSums itself.
// The header's `checksum` covers kBlockSums. A reader verifies the header,
// kBlockSums and the table at open, and every other block the first time it
// reads from it: opening costs the same at any size, and a damaged byte is
// still reported before it is used.
#ifndef OTIOSE_SIMILARITY_MODEL_FORMAT_H_
#define OTIOSE_SIMILARITY_MODEL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace otiose::detail {

inline constexpr char kModelMagic[8] = {'O', 'T', 'I', 'O', 'S', 'I', 'M', '\0'};

enum SectionId : std::uint32_t {
  kConfig = 1,  // the TfidfConfig as JSON text (stop words inlined)
  kSlugs,       // u32 offsets[n_docs + 1], then the slugs' bytes
  kTerms,       // u32 offsets[n_terms + 1], then the terms' bytes, sorted
  kIdf,         // f64[n_terms]
  kRowPtr,      // u64[n_docs + 1]: CSR of the l2-normalised vectors
  kRowIdx,      // u32[nnz] term indices, ascending within a row
  kRowVal,      // f64[nnz]
  kColPtr,      // u64[n_terms + 1]: the same matrix as CSC
  kColIdx,      // u32[nnz] specimen indices, ascending within a column
  kColVal,      // f64[nnz]
  kTopIdx,      // u32[n_docs * top_k], kNoNeighbour pads a short list
  kTopVal,      // f64[n_docs * top_k]
  kBlockSums,   // u64 checksum of each kBlockSize bytes after the header
  kSectionCount = kBlockSums,
};

inline constexpr std::size_t kBlockSize = 16384;

inline constexpr std::uint32_t kNoNeighbour = 0xFFFFFFFFu;

struct Header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t header_size;  // sizeof(Header)
  std::uint64_t file_size;
  std::uint64_t checksum;  // of the kBlockSums section
  std::uint32_t n_docs;
  std::uint32_t n_terms;
  std::uint64_t nnz;
  std::uint32_t top_k;
  std::uint32_t section_count;
};

struct Section {
  std::uint32_t id;
  std::uint32_t reserved;
  std::uint64_t offset;
  std::uint64_t size;
};

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

#endif  // OTIOSE_SIMILARITY_MODEL_FORMAT_H_

#include "similarity/model_file.h"

#include <otiose/env.h>
#include <otiose/similarity.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace otiose::detail {
namespace {

std::uint64_t align(std::uint64_t x) {
  return (x + 7) & ~std::uint64_t{7};
}

// The checksum of each kBlockSize bytes of [data, data + n), as u64s into
// `out`, as many as `out_size` bytes hold.
void sum_blocks(const unsigned char* data, std::size_t n, unsigned char* out,
                std::size_t out_size) {
  for (std::size_t b = 0; b * 8 + 8 <= out_size && b * kBlockSize < n; ++b) {
    std::size_t from = b * kBlockSize;
    std::uint64_t sum = checksum(data + from, std::min(kBlockSize, n - from));
    std::memcpy(out + b * 8, &sum, 8);
  }
}

}  // namespace

void stamp_sums(unsigned char* file, std::size_t size) {
  if (size < sizeof(Header)) return;
  Header h;
  std::memcpy(&h, file, sizeof h);
  h.file_size = size;
  // A section's table entry, when it lies within the file and points
  // into it.
  auto entry = [&](SectionId id, Section& s) {
    const std::size_t at = sizeof(Header) + (id - 1) * sizeof(Section);
    if (at + sizeof s > size) return false;
    std::memcpy(&s, file + at, sizeof s);
    return s.offset >= sizeof(Header) && s.offset <= size && s.size <= size - s.offset;
  };
  Section sums{}, top{};
  if (entry(kBlockSums, sums)) {
    sum_blocks(file + sizeof(Header), sums.offset - sizeof(Header), file + sums.offset, sums.size);
    if (entry(kSumSums, top)) {
      sum_blocks(file + sums.offset, sums.size, file + top.offset, top.size);
      h.checksum = checksum(file + top.offset, top.size);
    }
  }
  std::memcpy(file, &h, sizeof h);
}

void ModelFileWriter::add(SectionId id, const void* data, std::size_t size) {
  sections_.push_back({id, 0, 0, size});
  auto bytes = static_cast<const unsigned char*>(data);
  blobs_.emplace_back(bytes, bytes + size);
}

void ModelFileWriter::write(Env& env, const std::string& path, std::uint32_t n_docs,
                            std::uint32_t n_terms, std::uint64_t nnz, std::uint32_t top_k) {
  Header h{};
  std::memcpy(h.magic, kModelMagic, sizeof h.magic);
  h.version = SimilarityModel::kFormatVersion;
  h.header_size = sizeof(Header);
  h.n_docs = n_docs;
  h.n_terms = n_terms;
  h.nnz = nnz;
  h.top_k = top_k;
  const std::size_t count = sections_.size() + 2;  // and the two levels of sums
  h.section_count = static_cast<std::uint32_t>(count);
  std::size_t table = count * sizeof(Section);
  std::uint64_t offset = align(sizeof(Header) + table);
  for (auto& section : sections_) {
    section.offset = offset;
    offset = align(offset + section.size);
  }
  const std::uint64_t blocks = (offset - sizeof(Header) + kBlockSize - 1) / kBlockSize;
  sections_.push_back({kBlockSums, 0, offset, blocks * 8});
  offset += blocks * 8;
  const std::uint64_t pages = (blocks * 8 + kBlockSize - 1) / kBlockSize;
  sections_.push_back({kSumSums, 0, offset, pages * 8});
  offset += pages * 8;

  // The whole file in memory: the header, the table, the sections, then
  // the sums over them.
  std::string file(offset, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(file.data());
  std::memcpy(bytes, &h, sizeof h);
  std::memcpy(bytes + sizeof(Header), sections_.data(), table);
  for (std::size_t i = 0; i < blobs_.size(); ++i)
    if (!blobs_[i].empty())
      std::memcpy(bytes + sections_[i].offset, blobs_[i].data(), blobs_[i].size());
  stamp_sums(bytes, file.size());
  write_file_atomically(env, path, file);
}

std::vector<unsigned char> string_table(const std::vector<std::string>& strings) {
  std::vector<std::uint32_t> offsets{0};
  std::string bytes;
  for (const auto& s : strings) {
    bytes += s;
    offsets.push_back(static_cast<std::uint32_t>(bytes.size()));
  }
  std::vector<unsigned char> out(offsets.size() * 4 + bytes.size());
  std::memcpy(out.data(), offsets.data(), offsets.size() * 4);
  std::memcpy(out.data() + offsets.size() * 4, bytes.data(), bytes.size());
  return out;
}

}  // namespace otiose::detail

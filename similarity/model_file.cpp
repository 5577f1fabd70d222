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

}  // namespace

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
  const std::size_t count = sections_.size() + 1;  // and the block sums
  h.section_count = static_cast<std::uint32_t>(count);
  std::size_t table = count * sizeof(Section);
  std::uint64_t offset = align(sizeof(Header) + table);
  for (auto& section : sections_) {
    section.offset = offset;
    offset = align(offset + section.size);
  }
  const std::uint64_t blocks_offset = offset;
  const std::uint64_t blocks = (blocks_offset - sizeof(Header) + kBlockSize - 1) / kBlockSize;
  sections_.push_back({kBlockSums, 0, blocks_offset, blocks * 8});
  offset = blocks_offset + blocks * 8;
  h.file_size = offset;

  // The whole file in memory, the header first.
  std::string file(offset, '\0');
  auto* body = reinterpret_cast<unsigned char*>(file.data()) + sizeof(Header);
  std::memcpy(body, sections_.data(), table);
  for (std::size_t i = 0; i < blobs_.size(); ++i)
    if (!blobs_[i].empty())
      std::memcpy(body + (sections_[i].offset - sizeof(Header)), blobs_[i].data(),
                  blobs_[i].size());
  // The block sums, last: over everything before them, the table included.
  std::uint64_t summed = blocks_offset - sizeof(Header);
  std::vector<std::uint64_t> sums((summed + kBlockSize - 1) / kBlockSize);
  for (std::size_t b = 0; b < sums.size(); ++b) {
    std::size_t from = b * kBlockSize;
    sums[b] = checksum(body + from, std::min<std::size_t>(kBlockSize, summed - from));
  }
  std::memcpy(body + summed, sums.data(), sums.size() * 8);
  h.checksum = checksum(body + summed, sums.size() * 8);
  std::memcpy(file.data(), &h, sizeof h);
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

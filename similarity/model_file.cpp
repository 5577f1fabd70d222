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
  parts_.push_back({{id, 0, 0, size}, static_cast<const unsigned char*>(data)});
}

namespace {

// The checksum of each kBlockSize bytes of a stream given in pieces, as
// sum_blocks() computes them over the same bytes held whole.
class BlockSummer {
 public:
  void add(const unsigned char* p, std::size_t n) {
    while (n > 0) {
      if (fill_ == 0 && n >= kBlockSize) {  // a whole block in place
        sums_.push_back(checksum(p, kBlockSize));
        p += kBlockSize;
        n -= kBlockSize;
        continue;
      }
      const std::size_t take = std::min(n, kBlockSize - fill_);
      std::memcpy(block_ + fill_, p, take);
      fill_ += take;
      p += take;
      n -= take;
      if (fill_ == kBlockSize) {
        sums_.push_back(checksum(block_, kBlockSize));
        fill_ = 0;
      }
    }
  }
  // The sums, the last block's over the bytes it has.
  std::vector<std::uint64_t> take() && {
    if (fill_ > 0) sums_.push_back(checksum(block_, fill_));
    return std::move(sums_);
  }

 private:
  unsigned char block_[kBlockSize];
  std::size_t fill_ = 0;
  std::vector<std::uint64_t> sums_;
};

// Appends to a file through a buffer: small pieces are gathered, large
// ones go straight through.
class Appender {
 public:
  explicit Appender(WritableFile& file) : file_(file) { buffer_.reserve(kCapacity); }
  void add(const unsigned char* p, std::size_t n) {
    const bool large = n >= kCapacity / 2;
    if (large || buffer_.size() + n > kCapacity) flush();
    if (large)
      file_.append({reinterpret_cast<const char*>(p), n});
    else
      buffer_.append(reinterpret_cast<const char*>(p), n);
  }
  void flush() {
    if (!buffer_.empty()) file_.append(buffer_);
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kCapacity = std::size_t{1} << 20;
  WritableFile& file_;
  std::string buffer_;
};

template <typename T>
const unsigned char* bytes_of(const T* p) {
  return reinterpret_cast<const unsigned char*>(p);
}

}  // namespace

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
  const std::size_t count = parts_.size() + 2;  // and the two levels of sums
  h.section_count = static_cast<std::uint32_t>(count);
  std::vector<Section> table;
  std::uint64_t offset = align(sizeof(Header) + count * sizeof(Section));
  for (auto& part : parts_) {
    part.section.offset = offset;
    offset = align(offset + part.section.size);
    table.push_back(part.section);
  }
  const std::uint64_t sums_offset = offset;
  const std::uint64_t blocks = (sums_offset - sizeof(Header) + kBlockSize - 1) / kBlockSize;
  table.push_back({kBlockSums, 0, sums_offset, blocks * 8});
  const std::uint64_t pages = (blocks * 8 + kBlockSize - 1) / kBlockSize;
  table.push_back({kSumSums, 0, sums_offset + blocks * 8, pages * 8});
  h.file_size = sums_offset + blocks * 8 + pages * 8;

  // What the block sums cover: the table, then each section at its offset,
  // zeros between, up to the sums.
  auto body = [&](auto&& emit) {
    static const unsigned char kZeros[8] = {};
    emit(bytes_of(table.data()), table.size() * sizeof(Section));
    std::uint64_t at = sizeof(Header) + table.size() * sizeof(Section);
    for (const auto& part : parts_) {
      emit(kZeros, part.section.offset - at);
      emit(part.data, part.section.size);
      at = part.section.offset + part.section.size;
    }
    emit(kZeros, sums_offset - at);
  };
  BlockSummer block_summer;
  body([&](const unsigned char* p, std::size_t n) { block_summer.add(p, n); });
  const std::vector<std::uint64_t> block_sums = std::move(block_summer).take();
  BlockSummer page_summer;
  page_summer.add(bytes_of(block_sums.data()), block_sums.size() * 8);
  const std::vector<std::uint64_t> page_sums = std::move(page_summer).take();
  h.checksum = checksum(bytes_of(page_sums.data()), page_sums.size() * 8);

  write_file_atomically(env, path, [&](WritableFile& file) {
    Appender out(file);
    out.add(bytes_of(&h), sizeof h);
    body([&](const unsigned char* p, std::size_t n) { out.add(p, n); });
    out.add(bytes_of(block_sums.data()), block_sums.size() * 8);
    out.add(bytes_of(page_sums.data()), page_sums.size() * 8);
    out.flush();
  });
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

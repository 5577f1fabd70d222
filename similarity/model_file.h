// similarity/: writing the model file (private). The layout is in
// model_format.h; model_reader.cpp reads it.
#ifndef OTIOSE_SIMILARITY_MODEL_FILE_H_
#define OTIOSE_SIMILARITY_MODEL_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "similarity/model_format.h"

namespace otiose {
class Env;
}

namespace otiose::detail {

// Collects the file's sections in order, then writes the file whole: the
// header, the section table, the sections (8-byte aligned) and the two
// levels of sums that cover them.
class ModelFileWriter {
 public:
  template <typename T>
  void add(SectionId id, const std::vector<T>& values) {
    add(id, values.data(), values.size() * sizeof(T));
  }
  void add(SectionId id, const void* data, std::size_t size);

  // Writes `path` whole or not at all through `env` (write_file_atomically).
  // Throws Error(kIo) naming `path`.
  void write(Env& env, const std::string& path, std::uint32_t n_docs, std::uint32_t n_terms,
             std::uint64_t nnz, std::uint32_t top_k);

 private:
  std::vector<Section> sections_;
  std::vector<std::vector<unsigned char>> blobs_;
};

// Stamps a model file's sums in place, as write() does last: kBlockSums
// over the sections, kSumSums over kBlockSums, the header's checksum over
// kSumSums, and its file_size. Bytes that are not a well-formed model (the
// fuzz harness re-stamps damaged ones, so that damage reaches the
// structure) are stamped as far as their section table's bounds allow.
void stamp_sums(unsigned char* file, std::size_t size);

// A string table section: u32 offsets[n + 1], then the strings' bytes.
std::vector<unsigned char> string_table(const std::vector<std::string>& strings);

}  // namespace otiose::detail

#endif  // OTIOSE_SIMILARITY_MODEL_FILE_H_

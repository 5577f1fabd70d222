// similarity/: writing the model file (private). The layout is in
// model_format.h; model_reader.cpp reads it.
#ifndef OTIOSE_SIMILARITY_MODEL_FILE_H_
#define OTIOSE_SIMILARITY_MODEL_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "similarity/model_format.h"

namespace otiose {
class Env;
}

namespace otiose::detail {

// Collects the file's sections in order, then writes the file whole: the
// header, the section table, the sections (8-byte aligned) and the two
// levels of sums that cover them. The file is never held in memory whole:
// write() reads the sections where they are, once for the sums and once
// to write them.
class ModelFileWriter {
 public:
  // A section whose bytes the caller keeps, unchanged, until write()
  // returns.
  void add(SectionId id, const void* data, std::size_t size);
  template <typename T>
  void add(SectionId id, const std::vector<T>& values) {
    add(id, values.data(), values.size() * sizeof(T));
  }
  template <typename T>
  void add(SectionId id, std::vector<T>&& values) = delete;  // a temporary: add_owned
  // A section whose bytes the writer keeps.
  template <typename T>
  void add_owned(SectionId id, std::vector<T> values) {
    auto kept = std::make_shared<const std::vector<T>>(std::move(values));
    add(id, kept->data(), kept->size() * sizeof(T));
    owned_.push_back(std::move(kept));
  }

  // Writes `path` whole or not at all through `env` (write_file_atomically).
  // Throws Error(kIo) naming `path`.
  void write(Env& env, const std::string& path, std::uint32_t n_docs, std::uint32_t n_terms,
             std::uint64_t nnz, std::uint32_t top_k);

 private:
  struct Part {
    Section section;
    const unsigned char* data;
  };
  std::vector<Part> parts_;
  std::vector<std::shared_ptr<const void>> owned_;
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

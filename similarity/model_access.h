// similarity/: what a rebuild reads of the model it replaces (private).
#ifndef OTIOSE_SIMILARITY_MODEL_ACCESS_H_
#define OTIOSE_SIMILARITY_MODEL_ACCESS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace otiose {
class SimilarityModel;
}

namespace otiose::detail {

// A model's vectors and related lists as stored, every byte of the file
// verified first (so the view throws Error(kModel) on damage, and never
// later). Valid while the model is open.
struct ModelView {
  const SimilarityModel* model = nullptr;
  std::size_t n = 0, terms = 0, k = 0, nnz = 0;
  std::string_view config;  // the configuration's JSON, as config_json() wrote it
  const std::uint64_t* row_ptr = nullptr;
  const std::uint32_t* row_idx = nullptr;
  const double* idf = nullptr;             // terms
  const double* row_scale = nullptr;       // n
  const std::uint32_t* top_idx = nullptr;  // n x k, kNoNeighbour pads
  const double* top_val = nullptr;
  const std::uint64_t* text_sums = nullptr;  // n: checksum() of each specimen_text()
  const std::uint32_t* row_count = nullptr;  // parallel to row_idx: the term's count
  // Each specimen's word pairs (model_format.h, kPairKeys) and their counts.
  std::size_t pairs = 0, pair_nnz = 0;
  const std::uint64_t* pair_keys = nullptr;
  const std::uint64_t* pair_row_ptr = nullptr;
  const std::uint32_t* pair_row_idx = nullptr;
  const std::uint32_t* pair_row_count = nullptr;

  std::string_view slug(std::size_t i) const;
  // The value of row i's entry p (row_ptr[i] <= p < row_ptr[i + 1]), as the
  // build computed it; row_idx[p] < terms.
  double row_value(std::size_t i, std::uint64_t p, bool sublinear) const;
  std::string_view term(std::size_t t) const;
};

struct ModelAccess {
  static ModelView view(const SimilarityModel& model);
  static std::string_view slug(const SimilarityModel& model, std::size_t i);
  static std::string_view term(const SimilarityModel& model, std::size_t t);
};

}  // namespace otiose::detail

#endif  // OTIOSE_SIMILARITY_MODEL_ACCESS_H_

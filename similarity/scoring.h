// similarity/: the arithmetic the model builder and the model reader share
// (private): term counts, tf weights, top-k selection and the inverted-list
// accumulator.
#ifndef OTIOSE_SIMILARITY_SCORING_H_
#define OTIOSE_SIMILARITY_SCORING_H_

#include <otiose/similarity.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace otiose::detail {

// A sparse vector: (term index, weight), term indices ascending.
using SparseVector = std::vector<std::pair<std::uint32_t, double>>;

// SYSTEM MATCH % of a cosine: round(100 * cosine).
int match_of(double cosine);

// A specimen's score. Best first; equal scores by position, which is slug
// order.
struct Scored {
  std::uint32_t index;
  double score;
};
bool better(const Scored& a, const Scored& b);

// Keeps the k best of `candidates`, sorted best first.
void keep_best(std::vector<Scored>& candidates, std::size_t k);

// Term counts of a text, stop words removed.
std::unordered_map<std::string, std::uint32_t> count_terms(
    std::string_view text, const TfidfConfig& config,
    const std::unordered_set<std::string>& stop_words);

// The tf part of a weight: the raw count, or 1 + ln(count) when sublinear.
double tf_weight(std::uint32_t count, bool sublinear);

// Scores one query vector against every specimen through CSC arrays, with a
// dense accumulator the caller owns (all zero on entry and on exit); `out`
// gets every specimen but `skip` with a positive score, unsorted.
template <typename Ptr, typename Idx, typename Val>
void accumulate(const SparseVector& query, const Ptr* col_ptr, const Idx* col_idx,
                const Val* col_val, std::uint32_t skip, std::vector<double>& acc,
                std::vector<std::uint32_t>& touched, std::vector<Scored>& out, std::size_t n_docs) {
  for (const auto& [term, weight] : query) {
    for (auto p = col_ptr[term]; p < col_ptr[term + 1]; ++p) {
      auto doc = static_cast<std::uint32_t>(col_idx[p]);
      if (doc >= n_docs) continue;  // never trust an index blindly
      if (acc[doc] == 0.0) touched.push_back(doc);
      acc[doc] += weight * col_val[p];
    }
  }
  out.clear();
  for (std::uint32_t doc : touched) {
    if (doc != skip && acc[doc] > 0.0) out.push_back({doc, acc[doc]});
    acc[doc] = 0.0;
  }
  touched.clear();
}

}  // namespace otiose::detail

#endif  // OTIOSE_SIMILARITY_SCORING_H_

#include "similarity/scoring.h"

#include <algorithm>
#include <cmath>

namespace otiose::detail {

int match_of(double cosine) {
  return static_cast<int>(std::lround(100.0 * cosine));
}

bool better(const Scored& a, const Scored& b) {
  return a.score != b.score ? a.score > b.score : a.index < b.index;
}

void keep_best(std::vector<Scored>& candidates, std::size_t k) {
  if (candidates.size() > k) {
    std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k),
                     candidates.end(), better);
    candidates.resize(k);
  }
  std::sort(candidates.begin(), candidates.end(), better);
}

std::unordered_map<std::string, std::uint32_t> count_terms(
    std::string_view text, const TfidfConfig& config,
    const std::unordered_set<std::string>& stop_words) {
  std::unordered_map<std::string, std::uint32_t> counts;
  for (auto& token : tokenize(text, config.lowercase))
    if (!stop_words.count(token)) ++counts[std::move(token)];
  return counts;
}

double tf_weight(std::uint32_t count, bool sublinear) {
  return sublinear ? 1.0 + std::log(static_cast<double>(count)) : static_cast<double>(count);
}

}  // namespace otiose::detail

#include "similarity/scoring.h"

#include <algorithm>
#include <cmath>

namespace otiose::detail {

std::vector<double> match_scale(const std::vector<double>& cosines) {
  std::vector<std::uint64_t> counts(kScaleBins, 0);
  for (double c : cosines) {
    auto bin = static_cast<std::size_t>(std::clamp(c, 0.0, 1.0) * static_cast<double>(kScaleBins));
    ++counts[std::min(bin, kScaleBins - 1)];
  }
  std::vector<double> cdf(kScaleBins + 1, 0.0);
  const double total = cosines.empty() ? 1.0 : static_cast<double>(cosines.size());
  std::uint64_t below = 0;
  for (std::size_t b = 0; b < kScaleBins; ++b) {
    below += counts[b];
    cdf[b + 1] = static_cast<double>(below) / total;
  }
  return cdf;
}

std::size_t scale_entry(double cosine) {
  // The share at or below the cosine's bin: the closest pair of a catalogue
  // reads 100, and equal cosines read alike.
  return std::min(static_cast<std::size_t>(std::clamp(cosine, 0.0, 1.0) *
                                           static_cast<double>(kScaleBins)),
                  kScaleBins - 1) +
         1;
}

int match_on_scale(const double* cdf, double cosine) {
  return static_cast<int>(std::lround(100.0 * std::clamp(cdf[scale_entry(cosine)], 0.0, 1.0)));
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

void TopK::offer(Scored s) {
  // `better` as the heap's order puts the worst kept at the front.
  if (heap_.size() < k_) {
    heap_.push_back(s);
    std::push_heap(heap_.begin(), heap_.end(), better);
  } else if (k_ > 0 && better(s, heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), better);
    heap_.back() = s;
    std::push_heap(heap_.begin(), heap_.end(), better);
  }
}

std::vector<Scored> TopK::take() && {
  std::sort_heap(heap_.begin(), heap_.end(), better);
  return std::move(heap_);
}

std::unordered_map<std::string, std::uint32_t> count_terms(
    std::string_view text, const TfidfConfig& config,
    const std::unordered_set<std::string>& stop_words) {
  std::unordered_map<std::string, std::uint32_t> counts;
  for (auto& token : tokenize(text, config.lowercase))
    if (!stop_words.count(token)) ++counts[std::move(token)];
  return counts;
}

}  // namespace otiose::detail

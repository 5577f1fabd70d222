// Fuzz target: arbitrary bytes as a pasted job ad through
// Searcher::related_text (and explain_text for the best match) over an index
// of the bundled catalogue, built once per process. Any text is a fine
// question: nothing may throw, and the answer is well formed.
#include <otiose/search.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"

using otiose::fuzz::check;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  otiose::fuzz::catalogue_searcher();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Mostly the stored list's size; sometimes more than the catalogue has.
  std::size_t k = size % 7 == 0 ? 1000 : 1 + size % 12;
  auto related = otiose::fuzz::catalogue_searcher().related_text(text, k);
  check(related.size() <= k && related.size() <= otiose::fuzz::catalogue_searcher().size(),
        "too many related specimens");
  for (std::size_t i = 0; i < related.size(); ++i) {
    const auto& r = related[i];
    // A specimen the text names can share no term with it; any other does.
    check((r.cosine > 0 || !r.recognised.empty()) && r.cosine >= 0 && r.cosine <= 1,
          "a cosine outside (0, 1]: " + std::to_string(r.cosine));
    check(r.match >= 0 && r.match <= 100, "a match outside 0..100: " + std::to_string(r.match));
    check(!r.title.empty(), "a related specimen without its title: " + r.slug);
    // Ranked by score, which the calibrated match follows.
    if (i > 0) check(related[i - 1].match >= r.match, "related specimens out of order");
  }
  if (!related.empty() && related[0].cosine > 0) {
    auto shares = otiose::fuzz::catalogue_searcher().explain_text(text, related[0].slug, 5);
    check(!shares.empty(), "a related specimen with no shared term");
    for (const auto& s : shares)
      check(s.share >= 0 && s.share <= 1 + 1e-9, "a share outside [0, 1]");
  }
  return 0;
}

// query/: "did you mean" (private).
#ifndef OTIOSE_QUERY_SPELLING_H_
#define OTIOSE_QUERY_SPELLING_H_

#include <xapian.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otiose::detail {

// Spelling candidates for `word` from the index's spelling table: words
// within a few edits, closest and most frequent first, at most five, each
// with its edit distance.
std::vector<std::pair<std::string, std::size_t>> spelling_candidates(Xapian::Database& db,
                                                                     const std::string& word);

// The query with its unknown words corrected, choosing among close spellings
// the combination the catalogue has most: as a phrase first, then as words
// found together, then the fewest edits. nullopt when every word is known
// (or nothing is close).
std::optional<std::string> suggest(Xapian::Database& db, const Xapian::Stem& stemmer,
                                   std::string_view query);

}  // namespace otiose::detail

#endif  // OTIOSE_QUERY_SPELLING_H_

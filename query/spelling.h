// query/: "did you mean" (private).
#ifndef OTIOSE_QUERY_SPELLING_H_
#define OTIOSE_QUERY_SPELLING_H_

#include <xapian.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otiose::detail {

// A word of the index's spelling table close to a typed one.
struct Correction {
  std::string word;
  std::size_t distance = 0;   // edits (a transposition is one)
  std::size_t frequency = 0;  // how often the catalogue uses the word
  bool dropped = false;       // the typed word is the candidate with letters left out
};

// The index's spelling table: each word and how often the catalogue uses
// it, in Xapian's order. Read once a generation (Snapshot::spelling), from
// the local part of a sharded one: Xapian's remote backend does not serve it.
using SpellingTable = std::vector<std::pair<std::string, std::size_t>>;
SpellingTable read_spelling(Xapian::Database& db);

// Spelling candidates for `word` from the index's spelling table: words
// within 1 edit (up to 3 letters), 2 (up to 6) or 3, fewest edits first,
// then those the typed word only left letters out of (the commonest typo),
// then the most frequent; at most eight.
std::vector<Correction> spelling_candidates(const SpellingTable& table, const std::string& word);

// The query with its unknown words corrected. Among the combinations of
// candidates, the fewest edits win (a combination the catalogue has as a
// phrase counts one edit fewer); then one that makes the whole query match;
// then letters dropped over other edits; then the words the catalogue uses
// most. nullopt when every word is known (or nothing is close). `db` answers
// the counts, `spelling()` the candidates: called only for a word `db` does
// not know (reading the table costs more than the rest).
std::optional<std::string> suggest(Xapian::Database& db,
                                   const std::function<const SpellingTable&()>& spelling,
                                   const Xapian::Stem& stemmer, std::string_view query);

}  // namespace otiose::detail

#endif  // OTIOSE_QUERY_SPELLING_H_

// query/: "did you mean" (private).
#ifndef OTIOSE_QUERY_SPELLING_H_
#define OTIOSE_QUERY_SPELLING_H_

#include <xapian.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "layout/layout.h"

namespace otiose::detail {

// A word of the index's spelling table close to a typed one.
struct Correction {
  std::string word;
  std::size_t distance = 0;   // edits (a transposition is one)
  std::size_t frequency = 0;  // how often the catalogue uses the word
  bool dropped = false;       // the typed word is the candidate with letters left out
};

// The index's spelling table as the indexer stores it for queries
// (layout.h, kMetaSpelling): the words of each length, with how often the
// catalogue uses each. Read once a generation (Snapshot::spelling), from
// the local part of a sharded one: Xapian's remote backend does not serve it.
class SpellingTable {
 public:
  SpellingTable() = default;
  // Reads the stored words of `db`. Throws Error(kIndex) for a stored
  // length whose size is not a whole number of words, naming `where`;
  // Xapian's errors pass through.
  static SpellingTable read(Xapian::Database& db, const std::string& where);

  // The stored words of one length (none past the longest).
  class Bucket {
   public:
    Bucket(std::string_view bytes, std::size_t length)
        : bytes_(bytes), length_(length), n_(bytes.size() / (length + kSpellingEntry)) {}
    std::size_t size() const { return n_; }
    std::string_view word(std::size_t i) const { return bytes_.substr(i * length_, length_); }
    std::uint32_t frequency(std::size_t i) const {
      return number<std::uint32_t>(n_ * length_ + 4 * i);
    }
    std::uint64_t mask(std::size_t i) const {
      return number<std::uint64_t>(n_ * (length_ + 4) + 8 * i);
    }

   private:
    template <typename T>
    T number(std::size_t at) const {
      T v;
      std::memcpy(&v, bytes_.data() + at, sizeof v);
      if constexpr (std::endian::native == std::endian::big) v = byteswap(v);
      return v;
    }
    template <typename T>
    static T byteswap(T v) {
      T out = 0;
      for (std::size_t i = 0; i < sizeof v; ++i, v >>= 8)
        out = static_cast<T>(out << 8 | (v & 0xff));
      return out;
    }
    std::string_view bytes_;
    std::size_t length_, n_;
  };
  Bucket bucket(std::size_t length) const {
    return length < buckets_.size() ? Bucket(buckets_[length], length) : Bucket({}, length);
  }

  std::size_t size() const { return words_; }

 private:
  std::vector<std::string> buckets_;  // by length
  std::size_t words_ = 0;
};

// Spelling candidates for `word` from the index's spelling table: words
// within 1 edit (up to 3 letters), 2 (up to 6) or 3, fewest edits first,
// then those the typed word only left letters out of (the commonest typo),
// then the most frequent; at most eight. Only the words of a length within
// reach are looked at, and of those only the ones whose letters could be.
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

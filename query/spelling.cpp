#include "query/spelling.h"

#include <otiose/error.h>

#include <algorithm>
#include <tuple>

#include "base/text.h"
#include "query/query_text.h"

namespace otiose::detail {
namespace {

// True when `a` is `b` with some letters left out.
bool is_subsequence(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  for (char c : b)
    if (i < a.size() && a[i] == c) ++i;
  return i == a.size() && a.size() < b.size();
}

// The bits set in `x`, inline: std::popcount calls libgcc on the baseline
// x86-64 (no POPCNT), and this runs once a word of the table.
std::size_t bits(std::uint64_t x) {
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<std::size_t>((x * 0x0101010101010101ull) >> 56);
}

}  // namespace

SpellingTable SpellingTable::read(Xapian::Database& db, const std::string& where) {
  SpellingTable table;
  table.buckets_.resize(kSpellingLongest + 1);
  for (std::size_t n = kSpellingShortest; n <= kSpellingLongest; ++n) {
    std::string key = kMetaSpelling + std::to_string(n);
    std::string& b = table.buckets_[n];
    b = db.get_metadata(key);
    if (b.size() % (n + kSpellingEntry) != 0)
      throw Error(ErrorKind::kIndex, where + ": damaged spelling table (" + key + " is " +
                                         std::to_string(b.size()) +
                                         " bytes): rebuild it with otiose-index --rebuild");
    table.words_ += b.size() / (n + kSpellingEntry);
  }
  return table;
}

std::vector<Correction> spelling_candidates(const SpellingTable& table, const std::string& word) {
  const std::size_t max_distance = word.size() <= 3 ? 1 : word.size() <= 6 ? 2 : 3;
  const std::uint64_t mask = letter_mask(word);
  std::vector<Correction> found;
  const std::size_t shortest = word.size() > max_distance ? word.size() - max_distance : 0;
  for (std::size_t n = shortest; n <= word.size() + max_distance; ++n) {
    const SpellingTable::Bucket b = table.bucket(n);
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (bits(mask ^ b.mask(i)) > 2 * max_distance) continue;
      std::string_view w = b.word(i);
      std::size_t d = edit_distance(word, w, max_distance);
      if (d <= max_distance)
        found.push_back({std::string(w), d, b.frequency(i), is_subsequence(word, w)});
    }
  }
  std::sort(found.begin(), found.end(), [](const Correction& a, const Correction& b) {
    return a.distance != b.distance     ? a.distance < b.distance
           : a.dropped != b.dropped     ? a.dropped
           : a.frequency != b.frequency ? a.frequency > b.frequency
                                        : a.word < b.word;
  });
  if (found.size() > 8) found.resize(8);
  return found;
}

std::optional<std::string> suggest(Xapian::Database& db,
                                   const std::function<const SpellingTable&()>& spelling,
                                   const Xapian::Stem& stemmer, std::string_view query) {
  std::vector<Piece> pieces = split_query(query);
  // Corrections are tried in combination: a long query gets none (and
  // never pays for a scan of the spelling table a word).
  constexpr std::size_t kMaxWords = 6;
  auto word_count = std::count_if(pieces.begin(), pieces.end(),
                                  [](const Piece& p) { return p.kind == Piece::kWord; });
  if (static_cast<std::size_t>(word_count) > kMaxWords) return std::nullopt;
  std::vector<std::size_t> words;
  std::vector<std::vector<Correction>> options;
  bool any_unknown = false;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i].kind != Piece::kWord) continue;
    std::string w = ascii_lower(pieces[i].text);
    words.push_back(i);
    bool known = db.get_termfreq(w) > 0 || db.get_termfreq("Z" + stemmer(w)) > 0 || w.size() < 3;
    if (known) {
      options.push_back({{w, 0, 0, false}});
    } else {
      auto c = spelling_candidates(spelling(), w);
      if (c.empty())
        c.push_back({w, 0, 0, false});
      else
        any_unknown = true;
      options.push_back(std::move(c));
    }
  }
  if (!any_unknown) return std::nullopt;
  std::vector<std::size_t> pick(words.size(), 0), best;
  // (fewer edits, the whole query matches, letters only dropped, frequency,
  // phrase matches)
  using Score = std::tuple<long, bool, std::size_t, std::size_t, Xapian::doccount>;
  Score best_score{};
  Xapian::Enquire enquire(db);
  auto count = [&](Xapian::Query::op op, const std::vector<std::string>& terms) {
    enquire.set_query(Xapian::Query(op, terms.begin(), terms.end()));
    return enquire.get_mset(0, 0, db.get_doccount()).get_matches_estimated();
  };
  for (std::size_t combos = 0; combos < 256; ++combos) {
    std::vector<std::string> terms;
    long edits = 0;
    std::size_t frequency = 0, dropped = 0;
    for (std::size_t k = 0; k < words.size(); ++k) {
      const Correction& c = options[k][pick[k]];
      terms.push_back(c.word);
      edits += static_cast<long>(c.distance);
      frequency += c.frequency;
      dropped += c.dropped;
    }
    // The whole query as a phrase of the catalogue is worth one edit:
    // "stratgic oversite" is "strategic oversight", not "strategic oversee".
    Xapian::doccount phrase = terms.size() > 1 ? count(Xapian::Query::OP_PHRASE, terms) : 0;
    Score score{-(edits - (phrase > 0 ? 1 : 0)), count(Xapian::Query::OP_AND, terms) > 0, dropped,
                frequency, phrase};
    if (best.empty() || score > best_score) {
      best_score = score;
      best = pick;
    }
    std::size_t k = 0;
    while (k < pick.size() && ++pick[k] == options[k].size()) pick[k++] = 0;
    if (k == pick.size()) break;
  }
  std::string out;
  std::size_t w = 0;
  bool changed = false;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (w < words.size() && words[w] == i) {
      const std::string& chosen = options[w][best[w]].word;
      changed |= chosen != ascii_lower(pieces[i].text);
      out += chosen;
      ++w;
    } else {
      out += pieces[i].text;
    }
  }
  if (!changed) return std::nullopt;
  return out;
}

}  // namespace otiose::detail

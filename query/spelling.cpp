#include "query/spelling.h"

#include <algorithm>
#include <tuple>

#include "base/text.h"
#include "query/query_text.h"

namespace otiose::detail {

std::vector<std::pair<std::string, std::size_t>> spelling_candidates(Xapian::Database& db,
                                                                     const std::string& word) {
  const std::size_t max_distance = word.size() >= 7 ? 3 : word.size() >= 4 ? 2 : 1;
  struct Candidate {
    std::size_t distance;
    Xapian::doccount frequency;
    std::string word;
  };
  std::vector<Candidate> found;
  for (auto it = db.spellings_begin(); it != db.spellings_end(); ++it) {
    const std::string& w = *it;
    std::size_t gap = w.size() > word.size() ? w.size() - word.size() : word.size() - w.size();
    if (gap > max_distance) continue;
    std::size_t d = edit_distance(word, w);
    if (d <= max_distance) found.push_back({d, it.get_termfreq(), w});
  }
  std::sort(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
    return a.distance != b.distance     ? a.distance < b.distance
           : a.frequency != b.frequency ? a.frequency > b.frequency
                                        : a.word < b.word;
  });
  std::vector<std::pair<std::string, std::size_t>> out;
  for (std::size_t i = 0; i < found.size() && i < 5; ++i)
    out.emplace_back(found[i].word, found[i].distance);
  return out;
}

std::optional<std::string> suggest(Xapian::Database& db, const Xapian::Stem& stemmer,
                                   std::string_view query) {
  std::vector<Piece> pieces = split_query(query);
  // Corrections are tried in combination: a long query gets none (and
  // never pays for a scan of the spelling table a word).
  constexpr std::size_t kMaxWords = 6;
  auto word_count = std::count_if(pieces.begin(), pieces.end(),
                                  [](const Piece& p) { return p.kind == Piece::kWord; });
  if (static_cast<std::size_t>(word_count) > kMaxWords) return std::nullopt;
  std::vector<std::size_t> words;
  std::vector<std::vector<std::pair<std::string, std::size_t>>> options;
  bool any_unknown = false;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i].kind != Piece::kWord) continue;
    std::string w = ascii_lower(pieces[i].text);
    words.push_back(i);
    bool known = db.get_termfreq(w) > 0 || db.get_termfreq("Z" + stemmer(w)) > 0 || w.size() < 3;
    if (known) {
      options.push_back({{w, 0}});
    } else {
      auto c = spelling_candidates(db, w);
      if (c.empty())
        c.push_back({w, 0});
      else
        any_unknown = true;
      options.push_back(std::move(c));
    }
  }
  if (!any_unknown) return std::nullopt;
  std::vector<std::size_t> pick(words.size(), 0), best;
  std::tuple<Xapian::doccount, Xapian::doccount, long> best_score{0, 0, 0};
  Xapian::Enquire enquire(db);
  auto count = [&](Xapian::Query::op op, const std::vector<std::string>& terms) {
    enquire.set_query(Xapian::Query(op, terms.begin(), terms.end()));
    return enquire.get_mset(0, 0, db.get_doccount()).get_matches_estimated();
  };
  for (std::size_t combos = 0; combos < 256; ++combos) {
    std::vector<std::string> terms;
    long edits = 0;
    for (std::size_t k = 0; k < words.size(); ++k) {
      terms.push_back(options[k][pick[k]].first);
      edits += static_cast<long>(options[k][pick[k]].second);
    }
    std::tuple<Xapian::doccount, Xapian::doccount, long> score{
        terms.size() > 1 ? count(Xapian::Query::OP_PHRASE, terms) : 0,
        count(Xapian::Query::OP_AND, terms), -edits};
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
      const std::string& chosen = options[w][best[w]].first;
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

// The Searcher: snapshots of the current generation, a pool of Xapian
// handles per snapshot, queries, snippets, related specimens.
#include <otiose/error.h>
#include <otiose/search.h>

#include <xapian.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "detail/layout.h"
#include "detail/text.h"

namespace otiose {
namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
  return detail::ascii_lower(s);
}

std::string slugify(std::string_view name) {
  std::string slug;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u))
      slug += static_cast<char>(std::tolower(u));
    else if (!slug.empty() && slug.back() != '-')
      slug += '-';
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string unescape_html(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      static const std::pair<const char*, char> kEntities[] = {{"&amp;", '&'},  {"&lt;", '<'},
                                                               {"&gt;", '>'},   {"&quot;", '"'},
                                                               {"&#39;", '\''}, {"&apos;", '\''}};
      bool done = false;
      for (const auto& [entity, c] : kEntities) {
        std::size_t n = std::strlen(entity);
        if (s.compare(i, n, entity) == 0) {
          out += c;
          i += n - 1;
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    out += s[i];
  }
  return out;
}

// A piece of a query string: a quoted phrase, a bare word, or anything else.
struct Piece {
  enum Kind { kWord, kPhrase, kOther } kind;
  std::string text;
};

std::vector<Piece> split_query(std::string_view q) {
  std::vector<Piece> pieces;
  std::size_t i = 0;
  while (i < q.size()) {
    char c = q[i];
    if (c == '"') {
      std::size_t end = q.find('"', i + 1);
      end = end == std::string_view::npos ? q.size() : end + 1;
      pieces.push_back({Piece::kPhrase, std::string(q.substr(i, end - i))});
      i = end;
    } else if (std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')') {
      pieces.push_back({Piece::kOther, std::string(1, c)});
      ++i;
    } else {
      std::size_t end = i;
      while (end < q.size() && !std::isspace(static_cast<unsigned char>(q[end])) && q[end] != '(' &&
             q[end] != ')' && q[end] != '"')
        ++end;
      std::string token(q.substr(i, end - i));
      bool bare = std::all_of(token.begin(), token.end(), [](char x) {
        return std::isalnum(static_cast<unsigned char>(x)) ||
               (static_cast<unsigned char>(x) & 0x80);
      });
      static const char* const kOperators[] = {"AND", "OR", "NOT", "XOR", "NEAR", "ADJ"};
      for (const char* op : kOperators)
        if (token == op) bare = false;
      pieces.push_back({bare ? Piece::kWord : Piece::kOther, token});
      i = end;
    }
  }
  return pieces;
}

// Rewrites bare words (and runs of them) that belong to a synonym group as
// (member OR "other member" ...).
std::string expand_synonyms(std::string_view query,
                            const std::vector<std::vector<std::string>>& groups) {
  if (groups.empty()) return std::string(query);
  std::vector<Piece> pieces = split_query(query);
  std::string out;
  for (std::size_t i = 0; i < pieces.size();) {
    if (pieces[i].kind != Piece::kWord) {
      out += pieces[i++].text;
      continue;
    }
    // The longest run of words starting here that is a group member.
    const std::vector<std::string>* group = nullptr;
    std::size_t best_end = i;
    for (const auto& g : groups) {
      for (const auto& member : g) {
        std::vector<std::string> words;
        std::istringstream split(member);
        for (std::string w; split >> w;) words.push_back(w);
        std::size_t j = i, k = 0;
        while (k < words.size() && j < pieces.size()) {
          if (pieces[j].kind == Piece::kWord && lower(pieces[j].text) == words[k]) {
            ++k;
            ++j;
          } else if (pieces[j].kind == Piece::kOther && pieces[j].text == " " && k > 0) {
            ++j;
          } else {
            break;
          }
        }
        if (k == words.size() && j > best_end) {
          best_end = j;
          group = &g;
        }
      }
    }
    if (!group) {
      out += pieces[i++].text;
      continue;
    }
    out += "(";
    for (std::size_t m = 0; m < group->size(); ++m) {
      const std::string& member = (*group)[m];
      if (m) out += " OR ";
      out += member.find(' ') == std::string::npos ? member : "\"" + member + "\"";
    }
    out += ")";
    i = best_end;
  }
  return out;
}

// Spelling candidates for `word`: the index's words within a few edits,
// closest and most frequent first.
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

// The query with its unknown words corrected, choosing among close spellings
// the combination the catalogue has most: as a phrase first, then as words
// found together, then the fewest edits.
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
    std::string w = lower(pieces[i].text);
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
      changed |= chosen != lower(pieces[i].text);
      out += chosen;
      ++w;
    } else {
      out += pieces[i].text;
    }
  }
  if (!changed) return std::nullopt;
  return out;
}

constexpr std::size_t kMaxQueryTerms = 1000;
constexpr std::size_t kMaxWildcards = 100;  // each expands to up to 200 terms

// The terms and wildcards in a parsed query (walked without recursion).
std::pair<std::size_t, std::size_t> query_size(const Xapian::Query& query) {
  std::size_t terms = 0, wildcards = 0;
  std::vector<Xapian::Query> stack{query};
  while (!stack.empty()) {
    Xapian::Query q = std::move(stack.back());
    stack.pop_back();
    if (q.get_type() == Xapian::Query::LEAF_TERM) ++terms;
    if (q.get_type() == Xapian::Query::OP_WILDCARD) ++wildcards;
    for (std::size_t i = 0; i < q.get_num_subqueries(); ++i) stack.push_back(q.get_subquery(i));
  }
  return {terms, wildcards};
}

// The part of a long text around the first place a query word occurs:
// Xapian's snippet generator stems every word of the text it is given, so a
// specimen's whole body (kilobytes) costs far more than the window it
// returns. `words` are the query's terms without their prefixes, which for
// a stem ("manag") still find the words it stems from. ASCII case-folding
// keeps byte offsets, and the cuts fall on spaces, never inside a UTF-8
// sequence. The flags say whether text was cut off before and after.
constexpr char kEllipsis[] = "\xE2\x80\xA6";

struct Window {
  std::string text;
  bool cut_before = false, cut_after = false;
};
Window snippet_window(const std::string& body, const std::vector<std::string>& words,
                      std::size_t length) {
  if (body.size() <= 5 * length || words.empty()) return {body};
  std::string folded = detail::ascii_lower(body);
  std::size_t first = std::string::npos;
  for (const auto& w : words) first = std::min(first, folded.find(w));
  if (first == std::string::npos) return {body};
  std::size_t from = first > 2 * length ? first - 2 * length : 0;
  std::size_t to = std::min(body.size(), first + 3 * length);
  if (from > 0) from = std::min(first, body.find(' ', from));
  if (to < body.size()) {
    std::size_t space = body.rfind(' ', to);
    if (space != std::string::npos && space > first) to = space;
  }
  return {body.substr(from, to - from), from > 0, to < body.size()};
}

// The words a snippet should show: the query's terms without prefixes.
std::vector<std::string> snippet_words(const Xapian::Query& query) {
  std::vector<std::string> out;
  for (auto t = query.get_unique_terms_begin(); t != query.get_unique_terms_end(); ++t) {
    std::string term = *t;
    std::size_t i = 0;
    while (i < term.size() && term[i] >= 'A' && term[i] <= 'Z') ++i;
    if (term.size() - i >= 2) out.push_back(term.substr(i));
  }
  return out;
}

struct Card {
  std::string title;
  std::string tagline;
};

// One generation, opened: immutable but for its caches and pool.
class Snapshot {
 public:
  Snapshot(std::string generation)
      : generation_(std::move(generation)),
        db_path_(generation_ + "/" + detail::kXapianDir),
        model_(generation_ + "/" + detail::kModelFile),
        stamps_(detail::verify_table_sums(generation_)) {
    auto db = open_db();
    std::string text, synonyms;
    try {
      text = db->get_metadata(detail::kMetaFormat);
      synonyms = db->get_metadata(detail::kMetaSynonyms);
    } catch (const Xapian::Error& e) {
      // A damaged table can open fine and fail on the first read.
      throw Error(ErrorKind::kIndex, db_path_ + ": cannot read the index (" + e.get_description() +
                                         "): rebuild it with otiose-index --rebuild");
    }
    if (text != std::to_string(detail::kIndexFormat))
      throw Error(ErrorKind::kIndex,
                  db_path_ + ": index format \"" + text + "\", this build reads " +
                      std::to_string(detail::kIndexFormat) + ": run otiose-index --rebuild");
    auto syn = json::parse(synonyms, nullptr, false);
    try {
      if (syn.is_array()) synonyms_ = syn.get<std::vector<std::vector<std::string>>>();
    } catch (const json::exception&) {
      throw Error(ErrorKind::kIndex, db_path_ + ": damaged synonyms (not lists of words): " +
                                         "rebuild it with otiose-index --rebuild");
    }
    pool_.push_back(std::move(db));
  }

  const std::string& generation() const { return generation_; }
  const SimilarityModel& model() const { return model_; }

  // Throws Error(kIndex) naming a table changed on disk since it was
  // verified, before Xapian reads it (a stat a file when nothing changed).
  void check_tables() const {
    std::lock_guard<std::mutex> lock(stamps_mutex_);
    if (detail::tables_changed(stamps_)) stamps_ = detail::verify_table_sums(generation_);
  }
  const std::vector<std::vector<std::string>>& synonyms() const { return synonyms_; }

  // A Xapian handle for this thread's call, back to the pool afterwards.
  class Lease {
   public:
    Lease(const Snapshot& s) : s_(s) {
      std::lock_guard<std::mutex> lock(s_.mutex_);
      if (!s_.pool_.empty()) {
        db_ = std::move(s_.pool_.back());
        s_.pool_.pop_back();
      }
      if (!db_) db_ = s_.open_db();
    }
    ~Lease() {
      if (!db_) return;
      std::lock_guard<std::mutex> lock(s_.mutex_);
      s_.pool_.push_back(std::move(db_));
    }
    Xapian::Database& db() { return *db_; }
    // Closes the handle instead of pooling it: Xapian 1.4 leaks when a
    // handle that threw in the middle of a read is used again.
    void discard() { db_.reset(); }

   private:
    const Snapshot& s_;
    std::unique_ptr<Xapian::Database> db_;
  };

  std::optional<json> role_data(Xapian::Database& db, std::string_view slug) const {
    std::string term = std::string(detail::kIdPrefix) + std::string(slug);
    auto it = db.postlist_begin(term);
    if (it == db.postlist_end(term)) return std::nullopt;
    auto data = json::parse(db.get_document(*it).get_data(), nullptr, false);
    if (data.is_discarded() || !data.contains("record"))
      throw Error(ErrorKind::kIndex,
                  db_path_ + ": damaged document for \"" + std::string(slug) + "\"");
    return data;
  }

  Card card(Xapian::Database& db, const std::string& slug) const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = cards_.find(slug);
      if (it != cards_.end()) return it->second;
    }
    Card c;
    std::string term = std::string(detail::kIdPrefix) + slug;
    if (auto it = db.postlist_begin(term); it != db.postlist_end(term)) {
      Xapian::Document doc = db.get_document(*it);
      c.title = doc.get_value(detail::kSlotTitle);
      c.tagline = doc.get_value(detail::kSlotTagline);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    cards_.emplace(slug, c);
    return c;
  }

 private:
  std::unique_ptr<Xapian::Database> open_db() const {
    try {
      return std::make_unique<Xapian::Database>(db_path_);
    } catch (const Xapian::Error& e) {
      throw Error(ErrorKind::kIndex, db_path_ + ": cannot open the index (" + e.get_msg() +
                                         "): rebuild it with otiose-index --rebuild");
    }
  }

  std::string generation_;
  std::string db_path_;
  SimilarityModel model_;
  mutable std::mutex stamps_mutex_;
  mutable std::vector<detail::TableStamp> stamps_;
  std::vector<std::vector<std::string>> synonyms_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Xapian::Database>> pool_;
  mutable std::unordered_map<std::string, Card> cards_;
};

}  // namespace

struct Searcher::Impl {
  std::string dir;
  mutable std::mutex mutex;
  mutable std::shared_ptr<const Snapshot> snapshot;

  std::string current_generation() const {
    auto g = detail::current_generation(dir);
    if (!g) {
      std::error_code ec;
      bool exists = std::filesystem::exists(dir, ec);
      throw Error(ErrorKind::kIndex, (exists ? "no index in " : "no index at ") + dir +
                                         ": build one with `otiose-index data --index " + dir +
                                         "`");
    }
    return *g;
  }

  // The snapshot of the generation current now; `stale` forces a fresh look.
  std::shared_ptr<const Snapshot> get(bool stale = false) const {
    std::string generation = current_generation();
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (snapshot && snapshot->generation() == generation && !stale) return snapshot;
    }
    for (int attempt = 0;; ++attempt) {
      try {
        auto fresh = std::make_shared<const Snapshot>(generation);
        std::lock_guard<std::mutex> lock(mutex);
        snapshot = fresh;
        return fresh;
      } catch (const Error&) {
        // The writer may have swapped generations between our look and the
        // open; look again a few times before calling the index damaged.
        std::string again = current_generation();
        if (again == generation || attempt >= 3) throw;
        generation = again;
      }
    }
  }

  // Runs `f(snapshot, db)`; a Xapian error (a generation removed under a
  // slow reader) gets one retry on a fresh snapshot.
  template <typename F>
  auto with_index(F f) const {
    for (int attempt = 0;; ++attempt) {
      auto s = get(attempt > 0);
      try {
        s->check_tables();
      } catch (const Error&) {
        // A generation the writer removed under a slow reader is not a
        // damaged one: answer from the current generation.
        if (attempt >= 1 || current_generation() == s->generation()) throw;
        continue;
      }
      try {
        Snapshot::Lease lease(*s);
        try {
          return f(*s, lease.db());
        } catch (const Xapian::Error&) {
          lease.discard();
          throw;
        }
      } catch (const Xapian::Error& e) {
        if (attempt >= 1)
          throw Error(ErrorKind::kIndex, s->generation() + "/" + detail::kXapianDir +
                                             ": the index could not be read (" +
                                             e.get_description() +
                                             "): rebuild it with otiose-index --rebuild");
      } catch (const json::exception& e) {
        // A document's data that parses but holds other types than written.
        throw Error(ErrorKind::kIndex, s->generation() + "/" + detail::kXapianDir +
                                           ": a damaged document (" + e.what() +
                                           "): rebuild it with otiose-index --rebuild");
      }
    }
  }

  std::vector<RelatedSpecimen> cards(const Snapshot& s, Xapian::Database& db,
                                     const std::vector<Neighbour>& neighbours) const {
    std::vector<RelatedSpecimen> out;
    for (const auto& n : neighbours) {
      Card c = s.card(db, n.slug);
      out.push_back({n.slug, c.title, c.tagline, n.match, n.cosine});
    }
    return out;
  }
};

Searcher::Searcher(const std::string& index_dir) : impl_(std::make_unique<Impl>()) {
  impl_->dir = index_dir;
  impl_->get();
}

Searcher::~Searcher() = default;

SearchResults Searcher::search(std::string_view query_text, const SearchOptions& o) const {
  if (!detail::valid_utf8(query_text))
    throw Error(ErrorKind::kQuery, "the query is not valid UTF-8");
  constexpr std::size_t kMaxQuery = 64 * 1024;
  if (query_text.size() > kMaxQuery)
    throw Error(ErrorKind::kQuery, "the query is " + std::to_string(query_text.size()) +
                                       " bytes; at most " + std::to_string(kMaxQuery) +
                                       " are accepted");
  // Xapian's matcher slows down faster than linearly with the number of
  // terms (a 20,000-word OR takes tens of seconds): a query is a few words,
  // a whole text goes to related_text.
  auto too_many = [&](std::size_t n, std::size_t most, const char* what) {
    if (n > most)
      throw Error(
          ErrorKind::kQuery,
          "the query has " + std::to_string(n) + " " + what + "; at most " + std::to_string(most) +
              " are accepted" +
              (most == kMaxQueryTerms ? " (to match a whole text, use otiose-related --text)"
                                      : ""));
  };
  {
    std::istringstream split{std::string(query_text)};
    std::size_t words = 0;
    for (std::string w; split >> w;) ++words;
    too_many(words, kMaxQueryTerms, "words");
  }
  return impl_->with_index([&](const Snapshot& s, Xapian::Database& db) {
    SearchResults results;
    results.query = std::string(query_text);
    results.offset = o.offset;
    results.limit = o.limit;
    Xapian::Stem stemmer("english");
    Xapian::QueryParser qp;
    qp.set_database(db);
    qp.set_stemmer(stemmer);
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_default_op(o.match_any ? Xapian::Query::OP_OR : Xapian::Query::OP_AND);
    qp.set_max_expansion(200, Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT);
    qp.add_prefix("title", detail::kTitlePrefix);
    qp.add_prefix("alias", detail::kAliasPrefix);
    qp.add_prefix("habitat", detail::kHabitatPrefix);
    qp.add_prefix("metric", detail::kMetricPrefix);
    qp.add_prefix("weapon", detail::kWeaponPrefix);
    qp.add_boolean_prefix("source", detail::kSourcePrefix);
    qp.add_boolean_prefix("kind", detail::kKindPrefix);
    qp.add_boolean_prefix("role", detail::kRolePrefix);
    qp.add_boolean_prefix("type", detail::kTypePrefix);
    std::string expanded = expand_synonyms(query_text, s.synonyms());
    Xapian::Query query;
    if (detail::trim(query_text).empty()) {
      query = Xapian::Query::MatchAll;
    } else {
      try {
        query = qp.parse_query(expanded, Xapian::QueryParser::FLAG_DEFAULT |
                                             Xapian::QueryParser::FLAG_WILDCARD |
                                             Xapian::QueryParser::FLAG_PURE_NOT);
      } catch (const Xapian::QueryParserError& e) {
        throw Error(ErrorKind::kQuery,
                    "cannot parse the query \"" + std::string(query_text) + "\": " + e.get_msg());
      }
      if (query.empty()) query = Xapian::Query::MatchNothing;
      auto [terms, wildcards] = query_size(query);
      too_many(terms, kMaxQueryTerms, "terms (with synonyms)");
      too_many(wildcards, kMaxWildcards, "wildcards");
    }
    // The user's words, before the filters add their boolean terms.
    const std::vector<std::string> words = snippet_words(query);
    auto filter = [&](Xapian::Query f) {
      query = Xapian::Query(Xapian::Query::OP_FILTER, query, f);
    };
    if (!o.type.empty()) filter(Xapian::Query(std::string(detail::kTypePrefix) + o.type));
    if (!o.kinds.empty()) {
      std::vector<Xapian::Query> kinds;
      for (const auto& k : o.kinds) kinds.emplace_back(std::string(detail::kKindPrefix) + k);
      filter(Xapian::Query(Xapian::Query::OP_OR, kinds.begin(), kinds.end()));
    }
    if (o.min_flight_risk)
      filter(Xapian::Query(Xapian::Query::OP_VALUE_GE, detail::kSlotFlightRisk,
                           Xapian::sortable_serialise(*o.min_flight_risk)));
    if (o.salary_min)
      filter(Xapian::Query(Xapian::Query::OP_VALUE_GE, detail::kSlotSalaryAverage,
                           Xapian::sortable_serialise(static_cast<double>(*o.salary_min))));
    if (o.salary_max)
      filter(Xapian::Query(Xapian::Query::OP_VALUE_LE, detail::kSlotSalaryAverage,
                           Xapian::sortable_serialise(static_cast<double>(*o.salary_max))));

    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    if (o.sort == SearchOptions::Sort::kSalary)
      enquire.set_sort_by_value_then_relevance(detail::kSlotSalaryAverage, true);
    else if (o.sort == SearchOptions::Sort::kFlightRisk)
      enquire.set_sort_by_value_then_relevance(detail::kSlotFlightRisk, true);
    auto limit = static_cast<Xapian::doccount>(std::min<std::size_t>(o.limit, 10000));
    auto offset = static_cast<Xapian::doccount>(std::min<std::size_t>(o.offset, 1u << 30));
    Xapian::MSet mset = enquire.get_mset(offset, limit, offset + limit + 100);
    results.total = mset.get_matches_estimated();

    // "Did you mean": words the index does not have, when little was found.
    if (results.total < 3) results.suggestion = suggest(db, stemmer, query_text);

    std::size_t rank = o.offset;
    for (auto m = mset.begin(); m != mset.end(); ++m) {
      Hit hit;
      hit.rank = ++rank;
      hit.score = o.sort == SearchOptions::Sort::kRelevance ? m.get_weight() : 0.0;
      Xapian::Document doc = m.get_document();
      std::string body;
      // A specimen's hit reads its values; only a quote's (small) data is
      // parsed.
      std::string slug = doc.get_value(detail::kSlotSlug);
      json data;
      if (slug.empty()) {
        data = json::parse(doc.get_data(), nullptr, false);
        if (data.is_discarded())
          throw Error(ErrorKind::kIndex, impl_->dir + ": damaged document " + std::to_string(*m));
        hit.type = data.value("type", "");
      } else {
        hit.type = "role";
      }
      if (hit.type == "role") {
        hit.slug = hit.id = slug;
        hit.title = doc.get_value(detail::kSlotTitle);
        hit.tagline = hit.text = doc.get_value(detail::kSlotTagline);
        body = doc.get_value(detail::kSlotBody);
      } else {
        hit.id = data.value("id", "");
        hit.kind = data.value("kind", "");
        hit.slug = data.value("slug", "");
        hit.title = data.value("title", "");
        hit.tagline = data.value("tagline", "");
        hit.text = data.value("text", "");
        if (data.contains("source") && data["source"].is_string())
          hit.source = data["source"].get<std::string>();
        body = hit.text;
      }
      std::replace(body.begin(), body.end(), '\n', ' ');
      const std::string start = o.html ? o.highlight_start : "\x01";
      const std::string end = o.html ? o.highlight_end : "\x02";
      Window window = snippet_window(body, words, o.snippet_length);
      hit.snippet = mset.snippet(window.text, o.snippet_length, stemmer, 0, start, end, kEllipsis);
      // Xapian marks what it left out of the window; the window's own cuts
      // are marked here.
      if (window.cut_before && hit.snippet.rfind(kEllipsis, 0) != 0)
        hit.snippet = kEllipsis + hit.snippet;
      if (window.cut_after && !hit.snippet.ends_with(kEllipsis)) hit.snippet += kEllipsis;
      if (!o.html) {
        hit.snippet = unescape_html(hit.snippet);
        std::string marked;
        for (char c : hit.snippet)
          marked += c == '\x01'   ? o.highlight_start
                    : c == '\x02' ? o.highlight_end
                                  : std::string(1, c);
        hit.snippet = marked;
      }
      if (o.related > 0 && s.model().find(hit.slug) >= 0)
        hit.related = impl_->cards(s, db, s.model().related(hit.slug, o.related));
      results.hits.push_back(std::move(hit));
    }
    return results;
  });
}

std::string Searcher::resolve(std::string_view name) const {
  return impl_->with_index([&](const Snapshot& s, Xapian::Database& db) -> std::string {
    std::string wanted = lower(detail::trim(name));
    if (s.model().find(wanted) >= 0) return wanted;
    std::string slug = slugify(name);
    if (!slug.empty() && s.model().find(slug) >= 0) return slug;
    // A title or an alias: search for its words among specimens, then
    // compare exactly.
    if (!wanted.empty()) {
      Xapian::QueryParser qp;
      qp.set_default_op(Xapian::Query::OP_AND);
      Xapian::Query q;
      try {
        q = qp.parse_query(std::string(name), 0);
      } catch (const Xapian::QueryParserError&) {
      }
      Xapian::Enquire enquire(db);
      enquire.set_query(Xapian::Query(Xapian::Query::OP_FILTER, q,
                                      Xapian::Query(std::string(detail::kTypePrefix) + "role")));
      Xapian::MSet mset = enquire.get_mset(0, 50);
      for (auto m = mset.begin(); m != mset.end(); ++m) {
        auto data = json::parse(m.get_document().get_data(), nullptr, false);
        if (data.is_discarded() || !data.contains("record")) continue;
        const json& r = data["record"];
        if (lower(r.value("title", "")) == wanted) return r.value("slug", "");
        if (r.contains("aliases"))
          for (const auto& a : r["aliases"])
            if (a.is_string() && lower(a.get<std::string>()) == wanted) return r.value("slug", "");
      }
    }
    std::vector<std::pair<std::size_t, std::string>> close;
    std::string key = slug.empty() ? wanted : slug;
    for (std::size_t i = 0; i < s.model().size(); ++i) {
      std::string candidate = s.model().slug(i);
      std::size_t d = edit_distance(key, candidate);
      if (candidate.find(key) != std::string::npos && !key.empty()) d = std::min<std::size_t>(d, 1);
      close.emplace_back(d, candidate);
    }
    std::sort(close.begin(), close.end());
    std::string list;
    for (std::size_t i = 0; i < close.size() && i < 5; ++i)
      list += (i ? ", " : "") + close[i].second;
    throw Error(ErrorKind::kNotFound, "no specimen \"" + std::string(name) + "\"" +
                                          (list.empty() ? std::string() : "; closest: " + list));
  });
}

std::vector<RelatedSpecimen> Searcher::related(std::string_view slug, std::size_t k) const {
  return impl_->with_index([&](const Snapshot& s, Xapian::Database& db) {
    return impl_->cards(s, db, s.model().related(slug, k));
  });
}

std::vector<RelatedSpecimen> Searcher::related_text(std::string_view text, std::size_t k) const {
  return impl_->with_index([&](const Snapshot& s, Xapian::Database& db) {
    return impl_->cards(s, db, s.model().related_text(text, k));
  });
}

std::vector<TermShare> Searcher::explain(std::string_view a, std::string_view b,
                                         std::size_t n) const {
  return impl_->get()->model().explain(a, b, n);
}

std::vector<TermShare> Searcher::explain_text(std::string_view text, std::string_view slug,
                                              std::size_t n) const {
  return impl_->get()->model().explain_text(text, slug, n);
}

Record Searcher::get(std::string_view slug) const {
  return impl_->with_index([&](const Snapshot& s, Xapian::Database& db) {
    auto data = s.role_data(db, slug);
    if (!data) throw Error(ErrorKind::kNotFound, "no specimen \"" + std::string(slug) + "\"");
    auto parsed = parse_record((*data)["record"].dump());
    if (!parsed.record)
      throw Error(ErrorKind::kIndex,
                  impl_->dir + ": damaged record for \"" + std::string(slug) + "\"");
    return *parsed.record;
  });
}

std::size_t Searcher::size() const {
  return impl_->get()->model().size();
}

std::string Searcher::generation() const {
  return impl_->get()->generation();
}

}  // namespace otiose

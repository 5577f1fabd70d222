// The query side's own logic, on Xapian's in-memory backend: query text to
// Xapian queries (golden descriptions), synonyms, filters, spelling and
// snippets.
#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/record.h>
#include <otiose/search.h>
#include <otiose/similarity.h>

#include <xapian.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "base/text.h"
#include "indexer/documents.h"
#include "layout/layout.h"
#include "query/query_text.h"
#include "query/snippets.h"
#include "query/spelling.h"
#include "test_util.h"

namespace {

using otiose::detail::Piece;

// A small on-disk index (Xapian's in-memory backend has no spelling
// table): two documents and a spelling table.
Xapian::WritableDatabase tiny_index() {
  static otiose::test::TempDir dir;
  static int n = 0;
  Xapian::WritableDatabase db(dir / std::to_string(n++), Xapian::DB_CREATE);
  Xapian::TermGenerator tg;
  tg.set_stemmer(Xapian::Stem(otiose::detail::kStemLanguage));
  tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
  const char* texts[] = {"Strategic oversight of meetings about meetings and synergy",
                         "Dashboards, metrics and a weekly meeting about the dashboards"};
  for (const char* text : texts) {
    Xapian::Document doc;
    tg.set_document(doc);
    tg.index_text(text);
    db.add_document(doc);
  }
  otiose::detail::SpellingCounts spelling;
  for (const char* word : {"strategic", "oversight", "meetings", "synergy", "dashboards", "metrics",
                           "weekly", "meeting", "means"})
    spelling.add_word(word, std::string(word) == "meetings" ? 5 : 1);
  spelling.store(db);
  db.commit();
  return db;
}

std::string parsed(Xapian::Database& db, const std::string& text, bool any = false,
                   const std::vector<std::vector<std::string>>& synonyms = {}) {
  Xapian::Stem stemmer(otiose::detail::kStemLanguage);
  auto parser = otiose::detail::make_query_parser(db, stemmer, any);
  return otiose::detail::parse_user_query(parser, text, synonyms).get_description();
}

}  // namespace

TEST_CASE("query text parses to the golden Xapian queries") {
  Xapian::WritableDatabase db = tiny_index();
  struct Case {
    const char* text;
    bool any;
    const char* query;
  };
  const Case cases[] = {
      {"strategic oversight", false, "Query((Zstrateg@1 AND Zoversight@2))"},
      {"strategic oversight", true, "Query((Zstrateg@1 OR Zoversight@2))"},
      {"\"strategic oversight\"", false, "Query((strategic@1 PHRASE 2 oversight@2))"},
      {"title:architect", false, "Query(ZSarchitect@1)"},
      {"alias:csm habitat:saas", false, "Query((ZXAcsm@1 AND ZXHsaa@2))"},
      {"kind:complaint meetings", false, "Query((Zmeet@1 FILTER XKINDcomplaint))"},
      {"meetings -agile", false, "Query((Zmeet@1 AND_NOT Zagil@2))"},
      {"dash*", false, "Query(WILDCARD SYNONYM dash)"},
      {"", false, "Query(<alldocuments>)"},
      {"   ", false, "Query(<alldocuments>)"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(parsed(db, c.text, c.any) == c.query);
  }
}

TEST_CASE("synonyms expand bare words and phrases, longest first") {
  const std::vector<std::vector<std::string>> groups = {{"cx", "customer experience"},
                                                        {"okr", "objectives and key results"}};
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"cx team", "(cx OR \"customer experience\") team"},
      {"customer experience", "(cx OR \"customer experience\")"},
      {"CX", "(cx OR \"customer experience\")"},
      {"\"cx\" team", "\"cx\" team"},  // a phrase is left alone
      {"title:cx", "title:cx"},        // so is a field
      {"customer", "customer"},        // half a phrase is not a member
      {"okr", "(okr OR \"objectives and key results\")"},
  };
  for (const auto& c : cases) {
    INFO(c.in);
    CHECK(otiose::detail::expand_synonyms(c.in, groups) == c.out);
  }
  Xapian::WritableDatabase db = tiny_index();
  CHECK(parsed(db, "cx", false, groups) == "Query((Zcx@1 OR (customer@2 PHRASE 2 experience@3)))");
}

TEST_CASE("split_query tells words, phrases and the rest apart") {
  auto pieces = otiose::detail::split_query("agile \"stand up\" AND title:coach (x)");
  std::vector<std::pair<Piece::Kind, std::string>> got;
  for (const auto& p : pieces) got.emplace_back(p.kind, p.text);
  const std::vector<std::pair<Piece::Kind, std::string>> want = {{Piece::kWord, "agile"},
                                                                 {Piece::kOther, " "},
                                                                 {Piece::kPhrase, "\"stand up\""},
                                                                 {Piece::kOther, " "},
                                                                 {Piece::kOther, "AND"},
                                                                 {Piece::kOther, " "},
                                                                 {Piece::kOther, "title:coach"},
                                                                 {Piece::kOther, " "},
                                                                 {Piece::kOther, "("},
                                                                 {Piece::kWord, "x"},
                                                                 {Piece::kOther, ")"}};
  CHECK(got == want);
}

TEST_CASE("filters wrap the query in the options' boolean and value terms") {
  otiose::SearchOptions o;
  o.type = "quote";
  o.kinds = {"complaint", "illusion"};
  CHECK(otiose::detail::apply_filters(Xapian::Query("x"), o).get_description() ==
        "Query(((x FILTER XTYPEquote) FILTER (XKINDcomplaint OR XKINDillusion)))");
  otiose::SearchOptions salary;
  salary.salary_min = 100000;
  CHECK_THAT(otiose::detail::apply_filters(Xapian::Query("x"), salary).get_description(),
             Catch::StartsWith("Query((x FILTER VALUE_GE 1 "));
}

TEST_CASE("bad query text is a query error naming the problem") {
  using otiose::detail::check_query_text;
  CHECK_THROWS_WITH(check_query_text("\xff\xfe"), "the query is not valid UTF-8");
  CHECK_THROWS_WITH(check_query_text(std::string(70000, 'a')),
                    Catch::Contains("bytes; at most 65536 are accepted"));
  std::string many;
  for (int i = 0; i < 1001; ++i) many += "w ";
  CHECK_THROWS_WITH(check_query_text(many), Catch::Contains("1001 words; at most 1000"));
  Xapian::WritableDatabase db = tiny_index();
  // Xapian's parser is lenient (it retries a bad query without the
  // operators), so a query error here comes from the limits.
  std::string wild;
  for (int i = 0; i < 101; ++i) wild += "w" + std::to_string(i) + "* ";
  try {
    parsed(db, wild, true);
    FAIL("101 wildcards were accepted");
  } catch (const otiose::Error& e) {
    CHECK(e.kind() == otiose::ErrorKind::kQuery);
    CHECK_THAT(e.what(), Catch::Contains("101 wildcards; at most 100"));
  }
}

TEST_CASE("spelling: close words from the index, the catalogue's combination first") {
  Xapian::WritableDatabase db = tiny_index();
  Xapian::Stem stemmer(otiose::detail::kStemLanguage);
  const auto spelling = otiose::detail::SpellingTable::read(db, "tiny");
  auto candidates = otiose::detail::spelling_candidates(spelling, "metings");
  REQUIRE(!candidates.empty());
  CHECK(candidates.front().word == "meetings");
  CHECK(candidates.front().distance == 1);
  CHECK(otiose::detail::edit_distance("oversigth", "oversight") == 1);  // a swap is one edit
  CHECK(otiose::detail::edit_distance("meetngs", "means") == 3);
  // The bounded distance is the distance up to its limit, limit + 1 past it.
  std::uint32_t seed = 7;
  auto random_word = [&](std::size_t most) {
    seed = seed * 1103515245u + 12345u;
    std::string w((seed >> 16) % (most + 1), 'a');
    for (char& c : w) {
      seed = seed * 1103515245u + 12345u;
      c = static_cast<char>('a' + (seed >> 16) % 4);  // few letters: many near pairs
    }
    return w;
  };
  for (int trial = 0; trial < 3000; ++trial) {
    std::string a = random_word(trial < 2900 ? 12 : 90), b = random_word(trial < 2900 ? 12 : 90);
    std::size_t full = otiose::detail::edit_distance(a, b);
    for (std::size_t limit : {0, 1, 2, 3, 5, 8, 100}) {
      CAPTURE(a, b, limit);
      CHECK(otiose::detail::edit_distance(a, b, limit) == std::min(full, limit + 1));
    }
  }
  struct Case {
    const char* typed;
    std::optional<std::string> suggestion;
  };
  const Case cases[] = {
      {"sinergy", "synergy"},      {"strategic oversigth", "strategic oversight"},
      {"dashbords", "dashboards"}, {"meetings", std::nullopt},  // known: nothing to suggest
      {"zzzzzzzz", std::nullopt},                               // nothing close
  };
  for (const auto& c : cases) {
    INFO(c.typed);
    CHECK(otiose::detail::suggest(
              db, [&]() -> const otiose::detail::SpellingTable& { return spelling; }, stemmer,
              c.typed) == c.suggestion);
  }
}

TEST_CASE("a specimen's spelling words, read from its document, are its text's words") {
  // The reference: Xapian's term generator over every text field of the
  // record, each word once an occurrence (how the dictionary used to be
  // counted, a second pass over the text).
  auto corpus = otiose::load_corpus({otiose::test::source_path("data")});
  REQUIRE(corpus.error_count() == 0);
  otiose::TfidfConfig every_field;
  every_field.fields = {"title",
                        "tagline",
                        "aliases[]",
                        "habitat[]",
                        "org_chart.summary",
                        "salary.note",
                        "salary.quote",
                        "flight_risk.diagnosis",
                        "metrics[].name",
                        "metrics[].description",
                        "weaponry[].name",
                        "weaponry[].description",
                        "survival[].advice",
                        "jd_autopsy[].illusion",
                        "jd_autopsy[].translation",
                        "day_log[].title",
                        "day_log[].description",
                        "burn_ward[].text"};
  otiose::test::TempDir dir;
  Xapian::WritableDatabase from_documents(dir / "a", Xapian::DB_CREATE);
  Xapian::WritableDatabase from_text(dir / "b", Xapian::DB_CREATE);
  otiose::detail::DocumentMaker maker;
  otiose::detail::SpellingCounts counted, reference;
  Xapian::TermGenerator tg;
  for (const auto& loaded : corpus.records) {
    const otiose::Record& r = loaded.record;
    counted.add(maker.role(r, otiose::to_json(r, -1), "hash"), +1);
    Xapian::Document scratch;
    tg.set_document(scratch);
    tg.index_text_without_positions(otiose::specimen_text(r, every_field));
    for (auto t = scratch.termlist_begin(); t != scratch.termlist_end(); ++t)
      reference.add_word(*t, t.get_wdf());
  }
  counted.store(from_documents);
  reference.store(from_text);
  std::size_t words = 0;
  for (std::size_t n = otiose::detail::kSpellingShortest; n <= otiose::detail::kSpellingLongest;
       ++n) {
    const std::string key = otiose::detail::kMetaSpelling + std::to_string(n);
    INFO(key);
    CHECK((from_documents.get_metadata(key) == from_text.get_metadata(key)));
    words += from_text.get_metadata(key).size() / (n + otiose::detail::kSpellingEntry);
  }
  CHECK(words > 3000);
  // Counted out again, nothing is left.
  for (const auto& loaded : corpus.records)
    counted.add(maker.role(loaded.record, otiose::to_json(loaded.record, -1), "hash"), -1);
  counted.store(from_documents);
  for (std::size_t n = otiose::detail::kSpellingShortest; n <= otiose::detail::kSpellingLongest;
       ++n)
    CHECK(from_documents.get_metadata(otiose::detail::kMetaSpelling + std::to_string(n)).empty());
}

TEST_CASE("the stored spelling table finds what a scan of every word finds") {
  using otiose::detail::Correction;
  otiose::test::TempDir dir;
  Xapian::WritableDatabase db(dir / "db", Xapian::DB_CREATE);
  std::uint32_t seed = 11;
  auto next = [&](std::uint32_t n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) % n;
  };
  auto random_word = [&] {
    std::string w(2 + next(12), 'a');
    for (char& c : w) c = "abcdez9\xc3"[next(8)];  // few letters: many near pairs
    return w;
  };
  // The dictionary as the indexer keeps it, and the same words counted
  // here, as a reference.
  otiose::detail::SpellingCounts counts;
  std::map<std::string, long long> words;
  auto add = [&](const std::string& w, long long n) {
    counts.add_word(w, n);
    if (w.size() >= 3 && w.size() <= 40) words[w] += n;
  };
  for (int i = 0; i < 3000; ++i) add(random_word(), 1 + next(5));
  // What suggest() looked at before the table was stored: every word, the
  // whole edit distance of each.
  auto scan = [&words](const std::string& typed) {
    const std::size_t most = typed.size() <= 3 ? 1 : typed.size() <= 6 ? 2 : 3;
    std::vector<Correction> found;
    for (const auto& [w, n] : words) {
      if (n <= 0) continue;
      std::size_t d = otiose::detail::edit_distance(typed, w);
      std::size_t i = 0;
      for (char c : w)
        if (i < typed.size() && typed[i] == c) ++i;
      const bool dropped = i == typed.size() && typed.size() < w.size();
      if (d <= most) found.push_back({w, d, static_cast<std::uint32_t>(n), dropped});
    }
    std::sort(found.begin(), found.end(), [](const Correction& a, const Correction& b) {
      return std::tie(a.distance, b.dropped, b.frequency, a.word) <
             std::tie(b.distance, a.dropped, a.frequency, b.word);
    });
    if (found.size() > 8) found.resize(8);
    std::vector<std::pair<std::string, std::size_t>> out;
    for (const auto& c : found) out.emplace_back(c.word, c.distance);
    return out;
  };
  auto stored = [&db](const std::string& typed) {
    auto table = otiose::detail::SpellingTable::read(db, "db");
    std::vector<std::pair<std::string, std::size_t>> out;
    for (const auto& c : otiose::detail::spelling_candidates(table, typed))
      out.emplace_back(c.word, c.distance);
    return out;
  };
  auto compare = [&] {
    counts.store(db);
    db.commit();
    std::size_t some = 0;
    for (int trial = 0; trial < 400; ++trial) {
      std::string typed = random_word();
      CAPTURE(typed);
      auto expected = scan(typed);
      some += !expected.empty();
      CHECK(stored(typed) == expected);
    }
    CHECK(some > 100);  // the comparison is not of empty lists
  };
  compare();
  // What is stored reads back as it was counted.
  otiose::detail::SpellingCounts reloaded;
  reloaded.load(db, "db");
  reloaded.store(db);
  db.commit();
  compare();
  // An edit, as the indexer makes one: the stored counts read back, words
  // removed (every word of 5 letters among them) and added; the stored
  // table follows, and a length left without words has no key.
  counts = otiose::detail::SpellingCounts();
  counts.load(db, "db");
  std::vector<std::string> known;
  for (const auto& [w, n] : words) known.push_back(w);
  for (int i = 0; i < 500; ++i) known.push_back(random_word() + "q");
  for (std::size_t i = 0; i < known.size(); ++i) {
    if (known[i].size() == 5 || i % 3 == 0)
      add(known[i], -100);
    else if (known[i].back() == 'q')
      add(known[i], 1);
  }
  compare();
  CHECK(db.get_metadata(std::string(otiose::detail::kMetaSpelling) + "5").empty());
  CHECK(!db.get_metadata(std::string(otiose::detail::kMetaSpelling) + "6").empty());

  // A stored length that is not whole words is damage, named, by the
  // reader and by an edit.
  db.set_metadata(std::string(otiose::detail::kMetaSpelling) + "6", "abcdefg");
  db.commit();
  try {
    otiose::detail::SpellingTable::read(db, "DBPATH");
    FAIL("a damaged spelling table was read");
  } catch (const otiose::Error& e) {
    CHECK(e.kind() == otiose::ErrorKind::kIndex);
    CHECK_THAT(e.what(), Catch::Contains("DBPATH: damaged spelling table (otiose:spelling:6"));
  }
  try {
    otiose::detail::SpellingCounts().load(db, "DBPATH");
    FAIL("a damaged spelling table was loaded");
  } catch (const otiose::Error& e) {
    CHECK(e.kind() == otiose::ErrorKind::kIndex);
    CHECK_THAT(e.what(), Catch::Contains("DBPATH: damaged spelling table (otiose:spelling:6"));
  }
}

TEST_CASE("snippet windows cut long text on spaces around the first match") {
  std::string body;
  for (int i = 0; i < 200; ++i) body += "filler" + std::to_string(i) + " ";
  body += "the strategic oversight meeting ";
  for (int i = 0; i < 200; ++i) body += "after" + std::to_string(i) + " ";
  auto w = otiose::detail::snippet_window(body, {"oversight"}, 60);
  CHECK(w.cut_before);
  CHECK(w.cut_after);
  CHECK(w.text.find("oversight") != std::string::npos);
  CHECK(w.text.size() <= 5 * 60);
  // Cut on spaces: the window starts and ends at a word boundary.
  std::size_t at = body.find(w.text);
  REQUIRE(at != std::string::npos);
  CHECK((w.text.front() == ' ' || body[at - 1] == ' '));
  CHECK((at + w.text.size() == body.size() || body[at + w.text.size()] == ' '));
  // A short body, or no match: the whole text.
  CHECK(otiose::detail::snippet_window("short text", {"text"}, 60).text == "short text");
  CHECK(!otiose::detail::snippet_window(body, {"absent"}, 60).cut_before);
  CHECK(otiose::detail::unescape_html("a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39;") ==
        "a & b <c> \"d\" 'e'");
  CHECK(otiose::detail::unescape_html("&& &amp;&") == "&& &&");
  CHECK(otiose::detail::unescape_html("") == "");
}

// A query on tiny_index() and its hits, as the searcher makes snippets
// from them.
struct SnippetQuery {
  explicit SnippetQuery(const std::string& text) {
    auto parser = otiose::detail::make_query_parser(db, stemmer, false);
    query = otiose::detail::parse_user_query(parser, text, {});
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    mset = enquire.get_mset(0, 10);
  }
  Xapian::WritableDatabase db = tiny_index();
  Xapian::Stem stemmer{otiose::detail::kStemLanguage};
  Xapian::Query query;
  Xapian::MSet mset;
};

TEST_CASE("snippets mark the matched words, as HTML or as text") {
  SnippetQuery sq("oversight");
  const Xapian::Stem& stemmer = sq.stemmer;
  const Xapian::MSet& mset = sq.mset;
  auto words = otiose::detail::snippet_words(sq.query);
  CHECK(words == std::vector<std::string>{"oversight"});
  otiose::SearchOptions text;
  text.html = false;
  text.highlight_start = "[";
  text.highlight_end = "]";
  CHECK(otiose::detail::make_snippet(mset, "Strategic oversight & <tags>", words, stemmer, text) ==
        "Strategic [oversight] & <tags>");
  otiose::SearchOptions html;
  html.html = true;
  CHECK(otiose::detail::make_snippet(mset, "Strategic oversight & <tags>", words, stemmer, html) ==
        "Strategic <b>oversight</b> &amp; &lt;tags&gt;");
}

TEST_CASE(
    "the snippet stemmer stems what could match a query's stem, and the snippets are Xapian's") {
  SnippetQuery sq("managers oversight");
  const Xapian::Stem& stemmer = sq.stemmer;
  const Xapian::MSet& mset = sq.mset;
  Xapian::Stem quick = otiose::detail::snippet_stemmer(stemmer, sq.query);
  // The stemmer's own exceptions and suffixes among them.
  for (std::string w : {"managing", "managers", "oversaw", "overseeing", "dying", "skies",
                        "strategic", "yearly", "ideally", "m", "o", "a", "news", "meetings"}) {
    INFO(w);
    CHECK(quick(w) == (w[0] == 'm' || w[0] == 'o' ? stemmer(w) : std::string()));
  }
  otiose::SearchOptions html;
  html.html = true;
  auto words = otiose::detail::snippet_words(sq.query);
  for (std::string text : {"Managing the managers' oversight, dying slowly",
                           "Strategic overseeing of the manager & <team> by managers",
                           "Nothing here matches at all"}) {
    INFO(text);
    CHECK(otiose::detail::make_snippet(mset, text, words, quick, html) ==
          otiose::detail::make_snippet(mset, text, words, stemmer, html));
  }
  CHECK(
      otiose::detail::make_snippet(mset, "Managing the managers' oversight", words, quick, html) ==
      "<b>Managing</b> the <b>managers</b>' <b>oversight</b>");
}

TEST_CASE("a field query's snippet is cut and marked here, each stored line a separate item") {
  // Xapian's snippets do not look for a field's prefixed terms in plain
  // text: the searcher cuts and marks those itself.
  SnippetQuery sq("title:oversight");
  auto words = otiose::detail::snippet_words(sq.query);
  CHECK(words == std::vector<std::string>{"oversight"});
  const std::string body = "Chief of Staff\nStrategic OVERSIGHT & <b>\nOversights, oversight";
  otiose::SearchOptions text;
  text.html = false;
  text.highlight_start = "[";
  text.highlight_end = "]";
  CHECK(otiose::detail::make_snippet(sq.mset, body, words, sq.stemmer, text) ==
        "Chief of Staff \xC2\xB7 Strategic [OVERSIGHT] & <b> \xC2\xB7 [Oversights], [oversight]");
  otiose::SearchOptions html;
  html.html = true;
  CHECK(otiose::detail::make_snippet(sq.mset, body, words, sq.stemmer, html) ==
        "Chief of Staff \xC2\xB7 Strategic <b>OVERSIGHT</b> &amp; &lt;b&gt; \xC2\xB7 "
        "<b>Oversights</b>, <b>oversight</b>");
  // A long text: about `snippet_length` bytes from a little before the
  // first match, cut on spaces.
  std::string filler;
  for (int i = 0; i < 40; ++i) filler += "word" + std::to_string(i) + " ";
  text.snippet_length = 60;
  const std::string cut = otiose::detail::make_snippet(
      sq.mset, filler + "the Oversight of " + filler, words, sq.stemmer, text);
  CHECK(cut.find("[Oversight]") != std::string::npos);
  CHECK(cut.rfind("\xE2\x80\xA6", 0) == 0);  // an ellipsis before
  CHECK(cut.ends_with("\xE2\x80\xA6"));      // and after
  CHECK(cut.size() < 100);
}

TEST_CASE("ascii_lower folds A-Z alone") {
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  const std::string folded = otiose::detail::ascii_lower(all);
  REQUIRE(folded.size() == all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const char c = all[i];
    CHECK(folded[i] == (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c));
  }
}

TEST_CASE("a hit's value holds its fields whatever their lengths, and refuses damage") {
  using otiose::detail::HitValue;
  const std::string long_text(300, 'x');  // a length of two bytes
  const std::string source = "teamblind.com";
  for (const HitValue& hit :
       {HitValue{'r', "sdet", {}, {}, {}, "flaky\ntests"},
        HitValue{'q', "sdet#complaint-1", "complaint", "sdet", source, long_text},
        HitValue{'q', "sdet#salary-1", "salary", "sdet", "", ""},
        HitValue{'q', std::string_view(long_text), "illusion", "sdet", std::string_view(long_text),
                 "t"}}) {
    const std::string v = otiose::detail::hit_value(hit);
    const auto back = otiose::detail::read_hit_value(v);
    REQUIRE(back);
    CHECK(back->type == hit.type);
    CHECK(back->id == hit.id);
    CHECK(back->kind == hit.kind);
    CHECK(back->owner == hit.owner);
    CHECK(back->source == hit.source);
    CHECK(back->text == hit.text);
  }
  const std::string good =
      otiose::detail::hit_value({'q', "sdet#complaint-1", "complaint", "sdet", source, "text"});
  // Every cut inside the fields is refused (the text may be cut anywhere).
  for (std::size_t n = 0; n < good.size() - 4; ++n) {
    INFO(n);
    CHECK_FALSE(otiose::detail::read_hit_value(std::string_view(good).substr(0, n)));
  }
  CHECK_FALSE(otiose::detail::read_hit_value("x" + good.substr(1)));
  CHECK_FALSE(otiose::detail::read_hit_value("r\xff\xff\xff\xff\xff\x01"));
}

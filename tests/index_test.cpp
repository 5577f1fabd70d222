#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/search.h>

#include <xapian.h>
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "layout/layout.h"
#include "process.h"
#include "test_util.h"

using otiose::test::TempDir;

namespace {

otiose::IndexOptions options() {
  otiose::IndexOptions o;
  o.tfidf = otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json"));
  o.synonyms = otiose::load_synonyms(otiose::test::source_path("data/synonyms.txt"));
  return o;
}

std::vector<otiose::LoadedRecord> catalogue() {
  auto corpus = otiose::load_corpus({otiose::test::source_path("data")});
  REQUIRE(corpus.error_count() == 0);
  return corpus.records;
}

// The bundled catalogue indexed in `dir`, and a Searcher on it.
otiose::Searcher indexed_catalogue(const TempDir& dir) {
  otiose::write_index(catalogue(), dir / "index", options());
  return otiose::Searcher(dir / "index");
}

std::vector<std::string> ids(const otiose::SearchResults& r) {
  std::vector<std::string> out;
  for (const auto& h : r.hits) out.push_back(h.id);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

const char* const kSeed = "senior-customer-service-manager";

// The spelling dictionary a generation stores, every word length's key.
std::string spelling_of(const std::string& generation) {
  Xapian::Database db(generation + "/xapian");
  std::string all;
  for (int n = 3; n <= 40; ++n)
    all += std::to_string(n) + ":" + db.get_metadata("otiose:spelling:" + std::to_string(n)) + "\n";
  return all;
}

}  // namespace

TEST_CASE("the bundled catalogue is indexed and the seed is found every way") {
  TempDir dir;
  auto records = catalogue();
  auto report = otiose::write_index(records, dir / "index", options());
  CHECK(report.written);
  CHECK(report.added == records.size());
  otiose::Searcher s(dir / "index");
  CHECK(s.size() == records.size());

  CHECK(s.search("Senior Customer Service Manager", {}).hits.at(0).id == kSeed);
  CHECK(s.search("title:\"customer service manager\"", {}).hits.at(0).id == kSeed);
  CHECK(s.search("alias:\"client delivery operations lead\"", {}).hits.at(0).slug == kSeed);
  auto phrase = s.search("\"expensive human router\"", {});
  REQUIRE(phrase.hits.size() >= 1);
  CHECK(phrase.hits[0].id == std::string(kSeed) + "#complaint-2");
  CHECK(phrase.hits[0].source == "teamblind.com");
  otiose::SearchOptions all;
  all.limit = 1000;
  auto source = s.search("source:teamblind.com", all);
  REQUIRE(source.hits.size() == source.total);
  CHECK(contains(ids(source), std::string(kSeed) + "#complaint-2"));
  for (const auto& h : source.hits) CHECK(h.source == "teamblind.com");
  // Every quote kind is there, with its owner.
  for (const char* kind : {"complaint", "illusion", "translation", "salary", "diagnosis"}) {
    otiose::SearchOptions o;
    o.kinds = {kind};
    auto r = s.search("role:" + std::string(kSeed), o);
    INFO(kind);
    CHECK(r.total >= 1);
    for (const auto& h : r.hits) CHECK(h.kind == kind);
  }
  // The record itself round-trips through the index.
  for (const auto& r : records)
    if (r.record.slug == kSeed) CHECK(s.get(kSeed) == r.record);
}

TEST_CASE("re-indexing is idempotent and an edit or removal changes exactly that") {
  TempDir dir;
  auto records = catalogue();
  auto first = otiose::write_index(records, dir / "index", options());
  otiose::Searcher s(dir / "index");
  auto before = s.search("", {}).total;
  CHECK(before == first.specimens + first.quotes);

  auto again = otiose::write_index(records, dir / "index", options());
  CHECK_FALSE(again.written);
  CHECK(again.unchanged == records.size());
  CHECK(again.generation == first.generation);
  CHECK(s.search("", {}).total == before);

  // Edit one specimen, remove another.
  auto edited = records;
  auto sdet =
      std::find_if(edited.begin(), edited.end(), [](auto& r) { return r.record.slug == "sdet"; });
  REQUIRE(sdet != edited.end());
  sdet->record.tagline = "Writes flaky tests about zyzzyva migrations.";
  std::size_t sdet_quotes = otiose::quotes(sdet->record).size();
  auto gone = std::find_if(edited.begin(), edited.end(),
                           [](auto& r) { return r.record.slug == "agile-coach"; });
  REQUIRE(gone != edited.end());
  std::size_t gone_quotes = otiose::quotes(gone->record).size();
  edited.erase(gone);
  auto third = otiose::write_index(edited, dir / "index", options());
  CHECK(third.written);
  CHECK(third.updated == 1);
  CHECK(third.removed == 1);
  CHECK(third.added == 0);
  CHECK(third.unchanged == records.size() - 2);
  CHECK(s.search("", {}).total == before - 1 - gone_quotes);
  CHECK(s.search("zyzzyva", {}).hits.at(0).id == "sdet");
  CHECK(s.search("role:agile-coach", {}).total == 0);
  CHECK(s.search("role:sdet", {}).total == 1 + sdet_quotes);
  CHECK_THROWS_AS(s.get("agile-coach"), otiose::Error);
  for (const auto& n : s.related("scrum-master", 10)) CHECK(n.slug != "agile-coach");

  // An edit that moves one vector and no IDF keeps most related lists.
  sdet->record.tagline += " Quuxplorer.";
  auto fourth = otiose::write_index(edited, dir / "index", options());
  CHECK(fourth.updated == 1);
  CHECK(fourth.model.lists_kept >= edited.size() / 2);
  CHECK(fourth.model.lists_kept < edited.size());
  CHECK(fourth.model.counts_kept == edited.size() - 1);
  const std::string kept_model = otiose::test::read_file(fourth.generation + "/model.bin");

  // --rebuild gives the same index from scratch, and the same model.
  auto o = options();
  o.rebuild = true;
  auto rebuilt = otiose::write_index(edited, dir / "index", o);
  CHECK(rebuilt.written);
  CHECK(rebuilt.added == edited.size());
  CHECK(rebuilt.model.lists_kept == 0);
  CHECK(s.search("", {}).total == before - 1 - gone_quotes);
  CHECK((otiose::test::read_file(rebuilt.generation + "/model.bin") == kept_model));
  // The spelling dictionary the edits kept up is the one counted afresh.
  CHECK((spelling_of(fourth.generation) == spelling_of(rebuilt.generation)));
  CHECK(spelling_of(rebuilt.generation).find("zyzzyva") != std::string::npos);
  CHECK(spelling_of(rebuilt.generation).find("quuxplorer") != std::string::npos);
}

namespace {

// Every document of a generation by its unique Q term: its docid, and its
// terms (with wdf and positions; not the edit mark), values and data as
// text.
std::map<std::string, std::pair<Xapian::docid, std::string>> documents_of(
    const std::string& generation) {
  Xapian::Database db(generation + "/xapian");
  std::map<std::string, std::pair<Xapian::docid, std::string>> out;
  for (auto t = db.allterms_begin("Q"); t != db.allterms_end("Q"); ++t) {
    Xapian::docid id = *db.postlist_begin(*t);
    Xapian::Document doc = db.get_document(id);
    std::string text;
    for (auto term = doc.termlist_begin(); term != doc.termlist_end(); ++term) {
      if (*term == otiose::detail::kEditedTerm) continue;
      text += *term + " " + std::to_string(term.get_wdf()) + ":";
      for (auto p = term.positionlist_begin(); p != term.positionlist_end(); ++p)
        text += " " + std::to_string(*p);
      text += "\n";
    }
    for (auto v = doc.values_begin(); v != doc.values_end(); ++v)
      text += "value " + std::to_string(v.get_valueno()) + " " + *v + "\n";
    out[*t] = {id, text + doc.get_data()};
  }
  return out;
}

}  // namespace

namespace {

// The Q terms of a generation's documents that carry the edit mark.
std::set<std::string> marked_in(const std::string& generation) {
  Xapian::Database db(generation + "/xapian");
  std::set<std::string> out;
  for (auto p = db.postlist_begin(otiose::detail::kEditedTerm);
       p != db.postlist_end(otiose::detail::kEditedTerm); ++p) {
    Xapian::Document doc = db.get_document(*p);
    auto t = doc.termlist_begin();
    t.skip_to("Q");
    out.insert(*t);
  }
  return out;
}

// How many documents without the edit mark have a smaller kSlotOrder than
// the one numbered before them: none when the numbering is the tie order.
std::size_t out_of_tie_order(const std::string& generation) {
  Xapian::Database db(generation + "/xapian");
  std::set<Xapian::docid> marked;
  for (auto p = db.postlist_begin(otiose::detail::kEditedTerm);
       p != db.postlist_end(otiose::detail::kEditedTerm); ++p)
    marked.insert(*p);
  std::size_t out = 0;
  std::string last;
  for (auto v = db.valuestream_begin(otiose::detail::kSlotOrder);
       v != db.valuestream_end(otiose::detail::kSlotOrder); ++v) {
    if (marked.count(v.get_docid())) continue;
    if (*v < last) ++out;
    last = *v;
  }
  return out;
}

// What a search shows, as Xapian ranks it reading the tie order from the
// values (relevance, then kSlotOrder ascending; one a specimen when
// grouped): the ids of hits [offset, offset + limit).
std::vector<std::string> ranked_by_value(const std::string& generation, const std::string& text,
                                         bool group, Xapian::doccount offset,
                                         Xapian::doccount limit) {
  Xapian::Database db(generation + "/xapian");
  Xapian::QueryParser qp;
  qp.set_database(db);
  qp.set_stemmer(Xapian::Stem("english"));
  qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
  qp.set_default_op(Xapian::Query::OP_AND);
  Xapian::Enquire enquire(db);
  enquire.set_query(qp.parse_query(text));
  enquire.set_sort_by_relevance_then_value(otiose::detail::kSlotOrder, false);
  if (group) enquire.set_collapse_key(otiose::detail::kSlotOwner);
  std::vector<std::string> out;
  for (auto m : enquire.get_mset(offset, limit))
    out.push_back(db.get_document(m).get_value(otiose::detail::kSlotOrder).substr(8));
  return out;
}

// How many documents' facet values the generation's facet table does not
// hold as their values (a docid with no document: an empty entry), or
// whose owner number is not their owner's: one number an owner_hash, from
// 1 to the table's owners, each used, none for a document without one.
std::size_t facet_table_misses(const std::string& generation) {
  Xapian::Database db(generation + "/xapian");
  const std::string bytes = otiose::test::read_file(generation + "/" + otiose::detail::kFacetsFile);
  const auto table = otiose::detail::FacetTable::view(bytes);
  REQUIRE(table);
  std::size_t misses = 0;
  std::map<std::uint64_t, std::uint32_t> number_of;
  std::set<std::uint32_t> numbers;
  for (Xapian::docid id = 1; id <= db.get_lastdocid() + 1; ++id) {
    std::optional<std::string> want;
    if (id <= db.get_lastdocid()) {
      try {
        want = db.get_document(id).get_value(otiose::detail::kSlotFacets);
      } catch (const Xapian::DocNotFoundError&) {
        want = "";
      }
    }
    const auto got = table->value(id);
    if (got.has_value() != want.has_value() || (got && *got != *want)) ++misses;
    const std::uint64_t owner = want ? otiose::detail::facet_owner(*want) : 0;
    const std::uint32_t number = table->owner(id);
    if (owner == 0) {
      misses += number != 0;
    } else {
      auto [it, added] = number_of.emplace(owner, number);
      misses += number == 0 || it->second != number || (added && !numbers.insert(number).second);
    }
  }
  if (numbers.size() != table->owners() ||
      (!numbers.empty() && (*numbers.begin() != 1 || *numbers.rbegin() != table->owners())))
    ++misses;
  return misses;
}

}  // namespace

TEST_CASE(
    "equal scores come in the tie order, and the facet table holds every value, fresh and after "
    "edits") {
  TempDir dir;
  otiose::test::write_file(dir / "c.jsonl", otiose::test::generated_corpus(760, "Tiemarker"));
  auto corpus = otiose::load_corpus({dir / "c.jsonl"});
  REQUIRE(corpus.error_count() == 0);
  // The corpus by slug number (the loader keeps no order).
  std::vector<otiose::LoadedRecord> all(760);
  for (auto& r : corpus.records) all.at(std::stoul(r.record.slug.substr(4))) = r;
  std::vector<otiose::LoadedRecord> records(all.begin(), all.begin() + 700);
  auto o = options();
  o.threads = 2;  // two shards, merged
  auto first = otiose::write_index(records, dir / "index", o);
  CHECK(out_of_tie_order(first.generation) == 0);
  CHECK(marked_in(first.generation).empty());
  CHECK(facet_table_misses(first.generation) == 0);

  // Edits: 60 specimens added, 10 removed; 20 taglines and 20 complaints
  // of other lengths (a role re-added at the end; a quote rewritten at its
  // old number).
  for (std::size_t i = 0; i < 20; ++i) {
    records[10 * i].record.tagline += " and more";
    records[10 * i + 5].record.burn_ward->at(0).text += " again";
  }
  records.erase(records.begin() + 600, records.begin() + 610);
  records.insert(records.end(), all.begin() + 700, all.end());
  auto edited = otiose::write_index(records, dir / "index", o);
  REQUIRE_FALSE(edited.rebuilt);
  CHECK(edited.updated == 40);
  const auto marked = marked_in(edited.generation);
  CHECK(marked.count("Qgen-0"));                    // a tagline: its role
  CHECK_FALSE(marked.count("Qgen-0#complaint-1"));  // untouched
  CHECK(marked.count("Qgen-5#complaint-1"));        // rewritten in place
  CHECK(marked.count("Qgen-759#salary-1"));         // new
  CHECK(out_of_tie_order(edited.generation) == 0);
  CHECK(facet_table_misses(edited.generation) == 0);  // removed documents: empty entries
  auto fresh_options = o;
  fresh_options.rebuild = true;
  TempDir fresh;
  auto rebuilt = otiose::write_index(records, fresh / "index", fresh_options);
  CHECK(marked_in(rebuilt.generation).empty());
  CHECK(out_of_tie_order(rebuilt.generation) == 0);

  otiose::Searcher a(dir / "index"), b(fresh / "index");
  REQUIRE(a.generation() == edited.generation);
  for (const char* q :
       {"synergy", "roadmap stakeholder", "cloud OR cadence", "\"sprint backlog\"", "tiemarker"}) {
    for (bool group : {false, true}) {
      for (std::size_t offset : {std::size_t{0}, std::size_t{13}}) {
        // Grouped, a search that counts every match ranks the specimens'
        // best documents itself; one that stops counting has Xapian
        // collapse them: both are Xapian's collapse.
        for (std::size_t count_limit : {std::size_t{20000}, std::size_t{50}}) {
          INFO(q << (group ? " grouped" : " flat") << " from " << offset << ", counting "
                 << count_limit);
          otiose::SearchOptions so;
          so.group = group;
          so.offset = offset;
          so.limit = 25;
          so.related = 0;
          so.count_limit = count_limit;
          const auto ours = ids(a.search(q, so));
          CHECK(ours.size() == 25);
          CHECK(ours == ranked_by_value(edited.generation, q, group, 13 * (offset > 0), 25));
          CHECK(ours == ids(b.search(q, so)));
          CHECK(ids(b.search(q, so)) ==
                ranked_by_value(rebuilt.generation, q, group, 13 * (offset > 0), 25));
        }
      }
    }
  }
}

TEST_CASE("an edit rewrites the documents it changes, and holds what a rebuild holds") {
  TempDir dir;
  auto records = catalogue();
  auto first = otiose::write_index(records, dir / "index", options());
  auto by_slug = [&](const std::string& slug) -> otiose::Record& {
    for (auto& r : records)
      if (r.record.slug == slug) return r.record;
    FAIL("no " << slug);
    throw;
  };
  // A tagline: the specimen's document only. A complaint's text: that
  // quote's document and the specimen's. A salary: every document of the
  // specimen (each holds the numbers). A complaint removed: its document
  // goes, and the later ones are renumbered.
  by_slug("sdet").tagline += " Now with more flaky tests.";
  by_slug("scrum-master").burn_ward->at(0).text = "Another stand-up about the stand-ups.";
  by_slug("data-engineer").salary->average = *by_slug("data-engineer").salary->low;
  by_slug("product-owner").burn_ward->erase(by_slug("product-owner").burn_ward->begin());
  auto edited = otiose::write_index(records, dir / "index", options());
  CHECK(edited.updated == 4);
  auto o = options();
  o.rebuild = true;
  TempDir fresh;
  auto rebuilt = otiose::write_index(records, fresh / "index", o);

  const auto before = documents_of(first.generation);
  const auto after = documents_of(edited.generation);
  const auto reference = documents_of(rebuilt.generation);
  REQUIRE(after.size() == reference.size());
  for (const auto& [term, doc] : reference) {
    INFO(term);
    REQUIRE(after.count(term));
    CHECK(after.at(term).second == doc.second);
  }
  // Only the four specimens' documents were added again: a quote's
  // document is kept, or replaced in place where it changed.
  CHECK(Xapian::Database(edited.generation + "/xapian").get_lastdocid() ==
        Xapian::Database(first.generation + "/xapian").get_lastdocid() + 4);
  CHECK(after.at("Qsdet").first != before.at("Qsdet").first);
  CHECK(after.at("Qsdet#complaint-1") == before.at("Qsdet#complaint-1"));
  CHECK(after.at("Qscrum-master#complaint-1").second !=
        before.at("Qscrum-master#complaint-1").second);
  CHECK(after.at("Qscrum-master#complaint-2") == before.at("Qscrum-master#complaint-2"));
  CHECK(after.at("Qdata-engineer#salary-1").second != before.at("Qdata-engineer#salary-1").second);
  CHECK_FALSE(after.count("Qproduct-owner#complaint-3"));  // one fewer, renumbered
  // The documents the edit wrote, and only those, carry the mark (they are
  // out of the tie order).
  std::set<std::string> written;
  for (const auto& [term, doc] : after)
    if (!before.count(term) || before.at(term) != doc) written.insert(term);
  CHECK(written.size() > 4);
  CHECK(marked_in(edited.generation) == written);
  CHECK(marked_in(rebuilt.generation).empty());
}

TEST_CASE("once a twentieth of the documents are out of the tie order, the next change rebuilds") {
  TempDir dir;
  otiose::test::write_file(dir / "c.jsonl", otiose::test::generated_corpus(80, "Tidier"));
  auto corpus = otiose::load_corpus({dir / "c.jsonl"});
  REQUIRE(corpus.error_count() == 0);
  auto records = corpus.records;
  auto first = otiose::write_index(records, dir / "index", options());
  const auto documents = Xapian::Database(first.generation + "/xapian").get_doccount();
  // A salary rewrites every document of its specimen: a little over one
  // document in kEditedShare after `n` such edits.
  const std::size_t share = documents / otiose::detail::kEditedShare;
  const std::size_t per_specimen = documents / records.size();
  const std::size_t n = share / per_specimen + 1;  // n * per_specimen > share
  auto salary_edits = [&](std::size_t from, std::size_t count) {
    for (std::size_t i = from; i < from + count; ++i) *records[i].record.salary->average += 1;
  };
  salary_edits(0, n - 1);  // not more than the share
  auto under = otiose::write_index(records, dir / "index", options());
  REQUIRE_FALSE(under.rebuilt);
  CHECK(marked_in(under.generation).size() <= share);
  salary_edits(n - 1, 1);
  auto still = otiose::write_index(records, dir / "index", options());
  CHECK_FALSE(still.rebuilt);  // the current generation was within the share
  CHECK(marked_in(still.generation).size() > share);

  // Nothing changed: nothing written, whatever the share.
  auto same = otiose::write_index(records, dir / "index", options());
  CHECK_FALSE(same.written);
  CHECK(same.generation == still.generation);

  // The next change: written whole, back in the tie order, and the report
  // still says what changed.
  records[n].record.tagline += " and more";
  auto tidied = otiose::write_index(records, dir / "index", options());
  CHECK(tidied.rebuilt);
  CHECK(tidied.out_of_order == marked_in(still.generation).size());
  CHECK(still.out_of_order == 0);
  CHECK(tidied.written);
  CHECK(tidied.updated == 1);
  CHECK(tidied.added == 0);
  CHECK(tidied.unchanged == records.size() - 1);
  CHECK(marked_in(tidied.generation).empty());
  CHECK(out_of_tie_order(tidied.generation) == 0);
  CHECK(facet_table_misses(tidied.generation) == 0);
  auto o = options();
  o.rebuild = true;
  TempDir fresh;
  auto reference = otiose::write_index(records, fresh / "index", o);
  CHECK(documents_of(tidied.generation) == documents_of(reference.generation));
}

TEST_CASE("a second writer is refused with the first one's PID") {
  TempDir dir;
  auto records = catalogue();
  otiose::write_index(records, dir / "index", options());
  int fd = ::open((dir / "index/LOCK").c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  // flock() locks belong to the open file: a second open, even in this
  // process, is a second writer.
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  REQUIRE(::pwrite(fd, "4242\n", 5, 0) == 5);
  try {
    otiose::write_index(records, dir / "index", options());
    FAIL("a second writer got in");
  } catch (const otiose::Error& e) {
    CHECK(e.kind() == otiose::ErrorKind::kIndex);
    CHECK(std::string(e.what()) ==
          "index " + (dir / "index") +
              " is locked by PID 4242 (another otiose-index is writing it); try again when "
              "it is done");
  }
  ::close(fd);
  CHECK_NOTHROW(otiose::write_index(records, dir / "index", options()));
}

TEST_CASE("a directory that is not an index is never written into") {
  TempDir dir;
  otiose::test::write_file(dir.path() / "precious" / "thesis.txt", "do not delete");
  CHECK_THROWS_WITH(otiose::write_index(catalogue(), dir / "precious", options()),
                    Catch::Contains("is not an otiose index"));
  CHECK(otiose::test::read_file(dir / "precious/thesis.txt") == "do not delete");
}

TEST_CASE("a missing or empty index says how to build one") {
  TempDir dir;
  CHECK_THROWS_WITH(otiose::Searcher(dir / "none"), Catch::Contains("otiose-index data --index"));
  std::filesystem::create_directories(dir.path() / "empty");
  CHECK_THROWS_WITH(otiose::Searcher(dir / "empty"), Catch::Contains("no index in"));
}

TEST_CASE("a reader searching in a loop while the index is rebuilt never errors") {
  TempDir dir;
  auto records = catalogue();
  otiose::write_index(records, dir / "index", options());
  otiose::Searcher s(dir / "index");
  std::atomic<bool> stop{false};
  std::atomic<int> searches{0}, failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        try {
          auto r = s.search("meetings", {});
          auto rel = s.related("sdet", 3);
          // Never a mix: the seed is always there, and related lists resolve.
          if (r.hits.empty() || rel.empty() || rel[0].title.empty()) ++failures;
          ++searches;
        } catch (const std::exception& e) {
          UNSCOPED_INFO(e.what());
          ++failures;
        }
      }
    });
  }
  for (int round = 0; round < 8; ++round) {
    auto changed = records;
    changed[static_cast<std::size_t>(round) % changed.size()].record.tagline =
        "round " + std::to_string(round);
    auto o = options();
    o.rebuild = round % 2 == 1;
    otiose::write_index(changed, dir / "index", o);
  }
  stop = true;
  for (auto& t : readers) t.join();
  CHECK(failures == 0);
  CHECK(searches > 0);
}

TEST_CASE("a generation orphaned by a kill before the switch does not block the next run") {
  TempDir dir;
  auto records = catalogue();
  auto first = otiose::write_index(records, dir / "index", options());
  // What a run killed right after renaming gen-2 into place leaves behind.
  otiose::test::write_file(dir.path() / "index" / "gen-0000000002" / "model.bin", "half");
  auto edited = records;
  edited[0].record.tagline = "changed";
  auto second = otiose::write_index(edited, dir / "index", options());
  CHECK(second.written);
  CHECK(second.generation == dir / "index/gen-0000000002");
  otiose::Searcher s(dir / "index");
  CHECK(s.get(edited[0].record.slug).tagline == "changed");
}

TEST_CASE("a rebuild written as parallel shards answers exactly like one written by one thread") {
  TempDir dir;
  otiose::test::write_file(dir / "c.jsonl", otiose::test::generated_corpus(700, "Shardmarker"));
  auto corpus = otiose::load_corpus({dir / "c.jsonl"});
  REQUIRE(corpus.error_count() == 0);
  auto one = options(), two = options();
  one.threads = 1;
  two.threads = 2;  // 700 specimens: two shards, merged
  otiose::write_index(corpus.records, dir / "one", one);
  otiose::write_index(corpus.records, dir / "two", two);
  otiose::Searcher a(dir / "one"), b(dir / "two");
  REQUIRE(a.size() == 700);
  REQUIRE(b.size() == 700);
  otiose::SearchOptions many;
  many.limit = 50;
  for (const char* q : {"synergy roadmap", "\"stakeholder alignment\"", "title:shardmarker",
                        "alias:kpi", "source:teamblind.com", "okr OR cadence", "forecst"}) {
    INFO(q);
    auto x = a.search(q, many), y = b.search(q, many);
    CHECK(x.total == y.total);
    CHECK(ids(x) == ids(y));
    CHECK(x.suggestion == y.suggestion);
    REQUIRE(x.hits.size() == y.hits.size());
    for (std::size_t i = 0; i < x.hits.size(); ++i) {
      CHECK(x.hits[i].score == Approx(y.hits[i].score));
      CHECK(x.hits[i].related.size() == y.hits[i].related.size());
    }
  }
  CHECK(a.search("forecst", {}).suggestion == std::optional<std::string>("forecast"));
  CHECK((spelling_of(a.generation()) == spelling_of(b.generation())));
  // Metadata (synonyms, settings) survived the merge: an unchanged corpus is
  // not rewritten.
  auto again = otiose::write_index(corpus.records, dir / "two", two);
  CHECK_FALSE(again.written);
  for (const auto& r : corpus.records) CHECK(b.get(r.record.slug) == r.record);
}

TEST_CASE("an index written in an older layout is rewritten whole by a plain run") {
  TempDir dir;
  auto records = catalogue();
  otiose::write_index(records, dir / "index", options());
  {
    // What an older otiose-index left: another format number.
    Xapian::WritableDatabase db(otiose::Searcher(dir / "index").generation() + "/xapian");
    db.set_metadata("otiose:format", "1");
    db.commit();
  }
  // Opening maps the model only; the first call that reads Xapian says so.
  CHECK_THROWS_WITH(otiose::Searcher(dir / "index").search(kSeed, {}),
                    Catch::Contains("--rebuild"));
  auto report = otiose::write_index(records, dir / "index", options());
  CHECK(report.written);
  CHECK(report.rebuilt);
  CHECK(report.added == records.size());
  otiose::Searcher s(dir / "index");
  CHECK(s.search(kSeed, {}).hits.at(0).title == "Senior Customer Service Manager");
}

TEST_CASE("a specimen's snippet shows the matched word even deep in a long text") {
  TempDir dir;
  auto records = catalogue();
  auto& r = records.at(0).record;
  REQUIRE(r.burn_ward);
  REQUIRE_FALSE(r.burn_ward->empty());
  r.burn_ward->back().text += " And then the zebracorn arrived.";
  otiose::write_index(records, dir / "index", options());
  otiose::Searcher s(dir / "index");
  otiose::SearchOptions o;
  o.type = "role";
  auto found = s.search("zebracorn", o);
  REQUIRE(found.hits.size() == 1);
  const std::string& snippet = found.hits[0].snippet;
  INFO(snippet);
  CHECK(snippet.find("<b>zebracorn</b>") != std::string::npos);
  CHECK(snippet.rfind("\xE2\x80\xA6", 0) == 0);  // cut before: marked
  CHECK(snippet.size() < 600);
}

TEST_CASE("counts past the examined matches are estimates, and say so") {
  TempDir dir;
  otiose::Searcher s = indexed_catalogue(dir);
  otiose::SearchOptions o;
  o.group = true;
  o.facets = true;
  auto all = s.search("", o);  // every document
  REQUIRE(all.total > 200);
  CHECK(all.exact);
  CHECK(all.specimens == s.size());
  // Examining 50 of them, the counts are estimates no lower than what was
  // seen, and flagged; the hits are the same.
  o.count_limit = 50;
  auto some = s.search("", o);
  CHECK_FALSE(some.exact);
  CHECK(some.total >= 50);
  CHECK(some.total <= all.total);
  REQUIRE(some.hits.size() == all.hits.size());
  for (std::size_t i = 0; i < some.hits.size(); ++i) CHECK(some.hits[i].id == all.hits[i].id);
  // A query of words is weighed: its count stops at the limit too (Xapian
  // goes on through every match of a weighed count), and its page is the
  // same as when every match is counted.
  o.count_limit = 20000;
  const char* words = "team OR meeting OR process OR strategy";
  auto counted = s.search(words, o);
  REQUIRE(counted.exact);
  REQUIRE(counted.total > 100);
  o.count_limit = 50;
  auto stopped = s.search(words, o);
  CHECK_FALSE(stopped.exact);
  REQUIRE(stopped.facets.size() == 4);
  std::size_t examined = 0;
  for (const auto& v : stopped.facets[0].values) examined += v.count;
  CHECK(examined <= 51);
  // Its totals are Xapian's estimates, no lower than what was examined.
  CHECK(stopped.total >= examined);
  CHECK(stopped.specimens <= s.size());
  CHECK(stopped.specimens <= stopped.total);
  REQUIRE(stopped.hits.size() == counted.hits.size());
  for (std::size_t i = 0; i < stopped.hits.size(); ++i)
    CHECK(stopped.hits[i].id == counted.hits[i].id);
  // A flat search says whether Xapian's estimate is a count.
  otiose::SearchOptions flat;
  flat.limit = 100000;
  auto every = s.search("", flat);
  CHECK(every.exact);
  CHECK(every.total == every.hits.size());
}

TEST_CASE("facets count every matching document by type, kind and band") {
  TempDir dir;
  otiose::Searcher s = indexed_catalogue(dir);
  otiose::SearchOptions o;
  o.facets = true;
  o.limit = 1;
  auto r = s.search("", o);
  REQUIRE(r.facets.size() == 4);
  auto sum = [](const otiose::Facet& f) {
    std::size_t n = 0;
    for (const auto& v : f.values) n += v.count;
    return n;
  };
  CHECK(r.facets[0].name == "type");
  CHECK(sum(r.facets[0]) == r.total);
  CHECK(r.facets[1].name == "kind");
  // Every quote has a kind; every document a specimen with numbers.
  CHECK(sum(r.facets[1]) == r.total - s.size());
  CHECK(r.facets[2].name == "salary");
  CHECK(sum(r.facets[2]) == r.total);
  CHECK(r.facets[3].name == "flight_risk");
  CHECK(sum(r.facets[3]) == r.total);
  // A band's count is what filtering on it finds.
  for (const auto& band : r.facets[3].values) {
    otiose::SearchOptions f;
    f.limit = 100000;
    auto dash = band.value.find('-');
    f.min_flight_risk = std::stoi(band.value.substr(0, dash));
    f.max_flight_risk = std::stoi(band.value.substr(dash + 1));
    INFO(band.value);
    CHECK(s.search("", f).hits.size() == band.count);
  }
  for (const auto& type : r.facets[0].values) {
    otiose::SearchOptions f;
    f.limit = 100000;
    f.type = type.value == "role" ? "specimen" : type.value;
    CHECK(s.search("", f).hits.size() == type.count);
  }
  // Without asking, no facets.
  CHECK(s.search("", {}).facets.empty());
  otiose::SearchOptions empty;
  empty.min_flight_risk = 60;
  empty.max_flight_risk = 50;
  CHECK_THROWS_AS(s.search("", empty), otiose::Error);
}

TEST_CASE("the catalogue lists every specimen once, by slug, with its numbers") {
  TempDir dir;
  auto records = catalogue();
  otiose::write_index(records, dir / "index", options());
  otiose::Searcher s(dir / "index");
  auto all = s.catalogue();
  REQUIRE(all->size() == records.size());
  CHECK(std::is_sorted(all->begin(), all->end(),
                       [](const auto& a, const auto& b) { return a.slug < b.slug; }));
  for (const auto& r : records) {
    auto it = std::find_if(all->begin(), all->end(),
                           [&](const auto& x) { return x.slug == r.record.slug; });
    REQUIRE(it != all->end());
    CHECK(it->title == r.record.title);
    if (r.record.salary) {
      CHECK(it->salary_average == r.record.salary->average);
      CHECK(it->currency == r.record.salary->currency);
    }
    if (r.record.flight_risk) CHECK(it->flight_risk == r.record.flight_risk->percent);
  }
  CHECK(s.catalogue() == all);  // read once a generation
}

TEST_CASE("a pinned Searcher keeps answering from its generation after a rebuild") {
  TempDir dir;
  auto records = catalogue();
  otiose::write_index(records, dir / "index", options());
  otiose::Searcher s(dir / "index");
  otiose::Searcher pinned = s.pin();
  std::string before = pinned.generation();
  auto edited = records;
  edited.front().record.tagline = "Now about zyzzyva only.";
  otiose::write_index(edited, dir / "index", options());
  CHECK(s.generation() != before);
  CHECK(s.search("zyzzyva", {}).total == 1);
  CHECK(pinned.generation() == before);
  CHECK(pinned.search("zyzzyva", {}).total == 0);
  CHECK(pinned.catalogue()->size() == records.size());
  CHECK(s.pin().search("zyzzyva", {}).total == 1);
}

TEST_CASE("a specimen's title is read without its record, and an unknown slug is not found") {
  TempDir dir;
  auto records = catalogue();
  otiose::write_index(records, dir / "index", options());
  otiose::Searcher s(dir / "index");
  for (const auto& r : records) CHECK(s.title(r.record.slug) == r.record.title);
  CHECK_THROWS_AS(s.title("no-such-specimen"), otiose::Error);
}

TEST_CASE("related lists, pasted ads and names are the model's: Xapian is never opened") {
  TempDir dir;
  otiose::Searcher s = indexed_catalogue(dir);
  // The cards a search shows, before the Xapian side goes.
  otiose::SearchOptions o;
  o.related = 3;
  auto hit = s.search("scrum master", o).hits.at(0);
  REQUIRE(hit.related.size() == 3);
  // A frontend that shows the titles alone can leave the taglines out.
  o.related_taglines = false;
  auto bare = s.search("scrum master", o).hits.at(0);
  REQUIRE(bare.related.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(bare.related[i].slug == hit.related[i].slug);
    CHECK(bare.related[i].title == hit.related[i].title);
    CHECK(bare.related[i].match == hit.related[i].match);
    CHECK(bare.related[i].tagline.empty());
  }
  // And a quote hit's own tagline, where only a specimen hit's is shown.
  o.type = "quote";
  auto quote = s.search("scrum master", o).hits.at(0);
  REQUIRE(quote.type == "quote");
  CHECK_FALSE(quote.tagline.empty());
  o.quote_taglines = false;
  auto quote_bare = s.search("scrum master", o).hits.at(0);
  CHECK(quote_bare.id == quote.id);
  CHECK(quote_bare.title == quote.title);
  CHECK(quote_bare.tagline.empty());
  o.type = "specimen";
  auto specimen = s.search("scrum master", o).hits.at(0);
  REQUIRE(specimen.type == "role");
  CHECK_FALSE(specimen.tagline.empty());
  CHECK(specimen.text == specimen.tagline);
  o.type.clear();
  otiose::Searcher fresh(dir / "index");
  std::filesystem::remove_all(fresh.generation() + "/xapian");

  CHECK(fresh.resolve("Scrum Master") == "scrum-master");
  CHECK(fresh.resolve("sr. scrum master") == "scrum-master");
  CHECK_THROWS_WITH(fresh.resolve("scrum mastr"), Catch::Contains("closest: scrum-master"));
  CHECK(fresh.title("scrum-master") == "Scrum Master");
  auto related = fresh.related(hit.slug, 3);
  REQUIRE(related.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(related[i].slug == hit.related[i].slug);
    CHECK(related[i].title == hit.related[i].title);
    CHECK(related[i].tagline == hit.related[i].tagline);
    CHECK_FALSE(related[i].tagline.empty());
  }
  auto ad = fresh.match_text(otiose::test::seed_job_description(), 3);
  REQUIRE_FALSE(ad.related.empty());
  CHECK(ad.related[0].slug == kSeed);
  CHECK(ad.related[0].title == "Senior Customer Service Manager");
  // A search needs the tables it no longer has.
  CHECK_THROWS_AS(fresh.search("scrum", {}), otiose::Error);

  // Matcher, which otiose-related uses, gives the same answers.
  const otiose::Matcher m(dir / "index");
  CHECK(m.generation() == fresh.generation());
  CHECK(m.size() == fresh.size());
  CHECK(m.resolve("sr. scrum master") == "scrum-master");
  CHECK_THROWS_WITH(m.resolve("scrum mastr"), Catch::Contains("closest: scrum-master"));
  CHECK(m.title("scrum-master") == "Scrum Master");
  CHECK_THROWS_AS(m.title("no-such-role"), otiose::Error);
  auto mine = m.related(hit.slug, 3);
  REQUIRE(mine.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(mine[i].slug == related[i].slug);
    CHECK(mine[i].title == related[i].title);
    CHECK(mine[i].tagline == related[i].tagline);
    CHECK(mine[i].match == related[i].match);
    CHECK(mine[i].cosine == related[i].cosine);
  }
  auto ad2 = m.match_text(otiose::test::seed_job_description(), 3);
  CHECK(ad2.confident == ad.confident);
  REQUIRE(ad2.related.size() == ad.related.size());
  CHECK(ad2.related[0].slug == ad.related[0].slug);
  CHECK(ad2.related[0].match == ad.related[0].match);
  CHECK(m.explain(kSeed, ad.related[1].slug, 5).size() ==
        fresh.explain(kSeed, ad.related[1].slug, 5).size());
  CHECK_THROWS_WITH(otiose::Matcher(dir / "none"), Catch::Contains("no index at"));
}

// What the fuzz targets of fuzz/ found, pinned in the normal suite: each
// test is named after the bug it keeps fixed. (The crashing inputs themselves
// are in fuzz/regressions/, replayed through the targets when OTIOSE_FUZZ is
// on.)
#include <otiose/env.h>
#include <otiose/error.h>
#include <otiose/index.h>
#include <otiose/record.h>
#include <otiose/search.h>
#include <otiose/similarity.h>

#include <xapian.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <functional>

#include "layout/layout.h"
#include "similarity/model_file.h"
#include "similarity/model_format.h"
#include "test_util.h"

namespace fs = std::filesystem;
using otiose::test::TempDir;

namespace {

// The first `n` specimens of the bundled catalogue.
std::vector<otiose::LoadedRecord> catalogue(std::size_t n) {
  auto corpus = otiose::load_corpus({otiose::test::source_path("data")});
  REQUIRE(corpus.error_count() == 0);
  REQUIRE(corpus.records.size() >= n);
  corpus.records.resize(n);
  return corpus.records;
}

otiose::TfidfConfig tfidf() {
  return otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json"));
}

// A model of five specimens at `path`, as its bytes.
std::string small_model(const std::string& path) {
  auto records = catalogue(5);
  std::vector<const otiose::Record*> pointers;
  for (const auto& r : records) pointers.push_back(&r.record);
  otiose::build_model(pointers, tfidf(), path, 1);
  return otiose::test::read_file(path);
}

// Re-stamps a model's sums and size, as fuzz/damaged_index.cpp does: damage
// then reaches the structure.
void restamp(std::string& bytes) {
  otiose::detail::stamp_sums(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size());
}

otiose::detail::Section section(const std::string& bytes, otiose::detail::SectionId id) {
  otiose::detail::Section s;
  std::memcpy(&s, bytes.data() + sizeof(otiose::detail::Header) + (id - 1) * sizeof s, sizeof s);
  return s;
}

template <typename T>
void put(std::string& bytes, std::size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof value);
}

// The error the model at `path` gives when opened and asked everything.
std::string model_error(const std::string& path) {
  try {
    otiose::SimilarityModel model(path);
    model.verify();
    for (std::size_t i = 0; i < model.size(); ++i) (void)model.related(model.slug(i), 20);
    (void)model.related_text("a manager of the team", 5);
  } catch (const otiose::Error& e) {
    CHECK(e.kind() == otiose::ErrorKind::kModel);
    return e.what();
  }
  return "";
}

// A page with one line of each kind the importer matches a pattern against.
std::string page(const std::string& risk, const std::string& tip, const std::string& slot,
                 const std::string& match) {
  return "FILE RECORD: X\nX\n[04] THE FLIGHT RISK\n" + risk + "\n[07] SURVIVAL GUIDE\n" + tip +
         "\n[09] A DAY IN THE LOG\n" + slot + "\nStandup\nRed builds.\n[11] RELATED SPECIMENS\n" +
         match + "\nSDET\nA tagline.\n";  // a finished card: the page is not cut short
}

}  // namespace

TEST_CASE("fuzz import: a line of a megabyte does not overflow the stack (std::regex recursed)") {
  const std::string huge(1 << 20, 'A');
  const std::string spaces(1 << 20, ' ');
  // Every line pattern, each fed a huge line; the old regexes crashed on the
  // first one at some 50 KB.
  for (const std::string& text :
       {"FILE RECORD: X\nX\n[01] " + huge + "\n",
        page("FLIGHT RISK: 85%" + huge, "[IF ENGAGED:]Nod.", "[09:00 - 10:00]",
             "SYSTEM MATCH: 98%"),
        page("FLIGHT RISK:" + spaces + "85%", "[" + huge + "]", "[09:00" + spaces + "- 10:00]",
             "SYSTEM MATCH:" + spaces + "98%"),
        page("FLIGHT RISK: 85%", "[IF ENGAGED:]" + huge, "[09:00 - 10:00]" + huge,
             huge + "SYSTEM MATCH: 98%")}) {
    auto parsed = otiose::import_page(text, "huge.txt");
    CHECK((parsed.record || !parsed.diagnostics.empty()));
  }
  auto parsed = otiose::import_page(
      page("FLIGHT RISK: 85%" + huge, "[" + huge + ":] Nod.",
           "[09:00" + spaces + "-" + spaces + "10:00]", huge + "SYSTEM MATCH:" + spaces + "98 %"),
      "huge.txt");
  REQUIRE(parsed.record);
  CHECK(parsed.record->flight_risk->label == huge);
  CHECK((*parsed.record->survival)[0].when == huge);
  CHECK((*parsed.record->day_log)[0].end == "10:00");
  CHECK((*parsed.record->related)[0].match == 98);
}

TEST_CASE("fuzz import: the hand-written line patterns read what the regexes did") {
  auto parsed =
      otiose::import_page(page("FLIGHT RISK:\t7 %  LOW RISK", "[::] Nod.\nAnd smile.",
                               "[09:00-10:30]", "x SYSTEM MATCH: 1234% y SYSTEM MATCH:\t7 % z"),
                          "p.txt");
  REQUIRE(parsed.record);
  const auto& r = *parsed.record;
  CHECK(r.flight_risk->percent == 7);
  CHECK(r.flight_risk->label == "LOW RISK");
  REQUIRE(r.survival->size() == 1);
  CHECK((*r.survival)[0].when == ":");  // one ':' is the separator, the other the name
  CHECK((*r.survival)[0].advice == "Nod. And smile.");
  CHECK((*r.day_log)[0].start == "09:00");
  CHECK((*r.day_log)[0].end == "10:30");
  CHECK((*r.related)[0].match == 7);  // 1234% is no match; the next one is

  struct Bad {
    std::string page;
    std::string message;
  };
  const Bad bad[] = {
      {page("FLIGHT RISK: 1234%", "[A]b", "[09:00 - 10:00]", "SYSTEM MATCH: 9%"),
       "expected \"FLIGHT RISK:<n>%<label>\", not found"},
      {page("FLIGHT RISK: 101%", "[A]b", "[09:00 - 10:00]", "SYSTEM MATCH: 9%"),
       "expected a percent 0..100, got 101"},
      {page("FLIGHT RISK: 1%", "[]b", "[09:00 - 10:00]", "SYSTEM MATCH: 9%"),
       "expected \"[IF ...:]advice\", got \"[]b\""},
      {page("FLIGHT RISK: 1%", "[A]b", "[09:00 - 10:00 ]", "SYSTEM MATCH: 9%"),
       "expected a time slot like \"[09:00 - 10:00]\", got \"[09:00 - 10:00 ]\""},
      {page("FLIGHT RISK: 1%", "[A]b", "[09:00 - 10:00]", "SYSTEM MATCH: 9 9%"),
       "expected \"SYSTEM MATCH: <n>%\", got \"SYSTEM MATCH: 9 9%\""},
  };
  for (const auto& b : bad) {
    auto p = otiose::import_page(b.page, "p.txt");
    INFO(b.page);
    CHECK_FALSE(p.record);
    REQUIRE_FALSE(p.diagnostics.empty());
    CHECK(p.diagnostics[0].message == b.message);
  }
  // A '\r' inside a line is not part of a heading (the regexes' '.').
  auto p = otiose::import_page("FILE RECORD: X\nX\n[02] THE\rHABITAT\nA\n", "p.txt");
  CHECK_FALSE(p.record);
}

TEST_CASE("fuzz damaged_index: model counts that wrap the section sizes are damage") {
  TempDir dir;
  std::string path = dir / "model.bin";
  std::string bytes = small_model(path);
  otiose::detail::Header h;
  std::memcpy(&h, bytes.data(), sizeof h);
  // nnz + 2^62: nnz * 4 and nnz * 8 wrap to the true section sizes, and the
  // row and column offsets agree, so only the count check stands between it
  // and reading 2^62 indices.
  const std::uint64_t wrapped = h.nnz + (std::uint64_t{1} << 62);
  put(bytes, offsetof(otiose::detail::Header, nnz), wrapped);
  put(bytes, section(bytes, otiose::detail::kRowPtr).offset + 8 * h.n_docs, wrapped);
  put(bytes, section(bytes, otiose::detail::kColPtr).offset + 8 * h.n_terms, wrapped);
  restamp(bytes);
  otiose::test::write_file(path, bytes);
  CHECK(model_error(path) ==
        path +
            ": damaged similarity model (counts): rebuild the index with otiose-index --rebuild");
}

TEST_CASE("fuzz damaged_index: a model section placed inside the header is damage") {
  TempDir dir;
  std::string path = dir / "model.bin";
  std::string bytes = small_model(path);
  // The row offsets at byte 8: the block of a read was counted from a
  // wrapped offset, far past the block list.
  std::size_t entry = sizeof(otiose::detail::Header) +
                      (otiose::detail::kRowPtr - 1) * sizeof(otiose::detail::Section);
  put(bytes, entry + offsetof(otiose::detail::Section, offset), std::uint64_t{8});
  restamp(bytes);
  otiose::test::write_file(path, bytes);
  CHECK(
      model_error(path) ==
      path +
          ": damaged similarity model (section 5): rebuild the index with otiose-index --rebuild");
}

namespace {

// An index of five specimens whose database `edit` changes after the
// writer is done, re-stamped (xapian.sums) so that the damage reaches Xapian.
std::string edited_index(const TempDir& dir,
                         const std::function<void(Xapian::WritableDatabase&)>& edit) {
  std::string index = dir / "index";
  otiose::IndexOptions options;
  options.tfidf = tfidf();
  options.threads = 1;
  otiose::write_index(catalogue(5), index, options);
  std::string generation = *otiose::detail::current_generation(index);
  {
    Xapian::WritableDatabase db(generation + "/" + otiose::detail::kXapianDir, Xapian::DB_OPEN);
    edit(db);
    db.commit();
  }
  otiose::detail::write_table_sums(generation, *otiose::Env::Default());
  return index;
}

// What a Searcher on `index` throws when opened and asked; "" for nothing.
// Only otiose::Error may come out.
std::string searcher_error(const std::string& index) {
  try {
    otiose::Searcher searcher(index);
    (void)searcher.search("manager");
    (void)searcher.search("the", {});
  } catch (const otiose::Error& e) {
    CHECK(e.kind() == otiose::ErrorKind::kIndex);
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("damaged index: a hit's value cut short, missing or of another shape is an index error") {
  // What a hit shows is one value (kSlotHit) since index format 19; before
  // that, quotes' several values and, before 17, their JSON data.
  using namespace std::string_literals;
  const std::string damaged[] = {
      ""s,                             // no value
      "q"s,                            // no fields
      "x\x04gen1text"s,                // neither a specimen nor a quote
      "q\x7f"s + "abc",                // a length past the end
      "r\xff\xff\xff\xff\xff\x01"s,    // a length of more bytes than any
      "r\x00text"s,                    // no id
      "q\x02id\x04kind\x00\x00text"s,  // a quote of no specimen
  };
  for (const std::string& value : damaged) {
    INFO("value \"" << value << "\"");
    TempDir dir;
    std::string index = edited_index(dir, [&value](Xapian::WritableDatabase& db) {
      for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
        Xapian::Document doc = db.get_document(*it);
        if (value.empty())
          doc.remove_value(otiose::detail::kSlotHit);
        else
          doc.add_value(otiose::detail::kSlotHit, value);
        db.replace_document(*it, doc);
      }
    });
    std::string error = searcher_error(index);
    CHECK(error.find(": damaged document ") != std::string::npos);
  }
}

TEST_CASE("damaged index: a facet table cut short, or not one, is an index error") {
  for (bool restamped : {false, true}) {
    INFO((restamped ? "sums rewritten" : "sums as written"));
    TempDir dir;
    std::string index = edited_index(dir, [](Xapian::WritableDatabase&) {});
    const std::string generation = *otiose::detail::current_generation(index);
    const std::string path = generation + "/" + otiose::detail::kFacetsFile;
    std::string bytes = otiose::test::read_file(path);
    REQUIRE(bytes.rfind(otiose::detail::kFacetsMagic, 0) == 0);
    bytes.resize(bytes.size() - 7);
    otiose::test::write_file(path, bytes);
    if (restamped) otiose::detail::write_table_sums(generation, *otiose::Env::Default());
    otiose::Searcher searcher(index);
    otiose::SearchOptions grouped;
    grouped.group = true;
    try {
      (void)searcher.search("manager", grouped);
      FAIL("no error");
    } catch (const otiose::Error& e) {
      CHECK(e.kind() == otiose::ErrorKind::kIndex);
      CHECK_THAT(e.what(), Catch::Contains(otiose::detail::kFacetsFile) &&
                               Catch::Contains(restamped ? "not a facet table" : "damaged"));
    }
  }
}

TEST_CASE(
    "damaged index: a facet table entry that holds no value is an index error for the facets") {
  TempDir dir;
  std::string index = edited_index(dir, [](Xapian::WritableDatabase&) {});
  const std::string generation = *otiose::detail::current_generation(index);
  const std::string path = generation + "/" + otiose::detail::kFacetsFile;
  std::string bytes = otiose::test::read_file(path);
  // Every entry's length past what an entry holds; the sums rewritten, so
  // that only the entries tell.
  const std::size_t documents =
      (bytes.size() - otiose::detail::kFacetsHeader) / (4 + otiose::detail::kFacetEntry);
  for (std::size_t at = bytes.size() - documents * otiose::detail::kFacetEntry; at < bytes.size();
       at += otiose::detail::kFacetEntry)
    bytes[at] = static_cast<char>(0xff);
  otiose::test::write_file(path, bytes);
  otiose::detail::write_table_sums(generation, *otiose::Env::Default());
  otiose::Searcher searcher(index);
  otiose::SearchOptions faceted;
  faceted.facets = true;
  try {
    (void)searcher.search("manager", faceted);
    FAIL("no error");
  } catch (const otiose::Error& e) {
    CHECK(e.kind() == otiose::ErrorKind::kIndex);
    CHECK_THAT(e.what(), Catch::Contains(otiose::detail::kFacetsFile) &&
                             Catch::Contains("no entry for document"));
  }
}

TEST_CASE("damaged index: synonyms of another JSON shape are an index error, not a json one") {
  TempDir dir;
  std::string index = edited_index(dir, [](Xapian::WritableDatabase& db) {
    db.set_metadata(otiose::detail::kMetaSynonyms, "[1, 2]");
  });
  CHECK(searcher_error(index).find(": damaged synonyms (not lists of words): ") !=
        std::string::npos);
}

TEST_CASE(
    "damaged index: a Xapian handle that threw mid-read is not used again (Xapian 1.4 leaks)") {
  // fuzz/regressions/damaged_index/postlist-handle-reused-after-error-leaks:
  // two bytes of the postlist table changed (and re-stamped, so that Xapian
  // reads them) make every search fail, and Xapian 1.4 leaks some 140 KB when
  // a handle that threw is used again. LeakSanitizer sees it (the asan
  // preset); any build sees each search fail cleanly.
  TempDir dir;
  std::string index = dir / "index";
  otiose::IndexOptions options;  // as the fuzz target builds it
  options.tfidf = tfidf();
  options.synonyms = otiose::load_synonyms(otiose::test::source_path("data/synonyms.txt"));
  options.threads = 1;
  otiose::write_index(catalogue(5), index, options);
  std::string generation = *otiose::detail::current_generation(index);
  std::string postlist = generation + "/xapian/postlist.glass";
  std::string bytes = otiose::test::read_file(postlist);
  REQUIRE(bytes.size() > 24353);
  bytes[24351] = static_cast<char>(bytes[24351] ^ 0x5b);
  bytes[24353] = static_cast<char>(bytes[24353] ^ 0x22);
  otiose::test::write_file(postlist, bytes);
  otiose::detail::write_table_sums(generation, *otiose::Env::Default());

  otiose::Searcher searcher(index);
  for (const char* query : {"manager", "title:engineer OR \"the team\" -meeting", "manag*"}) {
    INFO(query);
    try {
      (void)searcher.search(query);
    } catch (const otiose::Error& e) {
      CHECK(e.kind() == otiose::ErrorKind::kIndex);
    }
  }
}

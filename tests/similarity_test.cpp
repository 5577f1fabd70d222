#include <otiose/error.h>
#include <otiose/record.h>
#include <otiose/similarity.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "base/checksum.h"
#include "process.h"
#include "similarity/model_access.h"
#include "similarity/model_format.h"
#include "similarity/names.h"
#include "similarity/scoring.h"
#include "test_util.h"

using otiose::SimilarityModel;
using otiose::TfidfConfig;
using otiose::test::TempDir;

namespace {

otiose::Record specimen(const std::string& slug, const std::string& title) {
  otiose::Record r;
  r.slug = slug;
  r.title = title;
  r.tagline = "t";
  return r;
}

std::vector<const otiose::Record*> pointers(const std::vector<otiose::Record>& records) {
  std::vector<const otiose::Record*> out;
  for (const auto& r : records) out.push_back(&r);
  return out;
}

// Runs a command and returns what it printed; fails the test if it fails.
std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  REQUIRE(pipe);
  std::string out;
  char buffer[65536];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe.get())) > 0;) out.append(buffer, n);
  int status = pclose(pipe.release());
  INFO(command);
  REQUIRE(status == 0);
  return out;
}

std::string python() {
  return "/usr/bin/python3 " + otiose::test::source_path("tests/sklearn_reference.py");
}

struct Catalogue {
  TfidfConfig config =
      otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json"));
  otiose::Corpus corpus = otiose::load_corpus({otiose::test::source_path("data")});
  TempDir dir;
  std::unique_ptr<SimilarityModel> model;
  Catalogue() {
    std::vector<const otiose::Record*> records;
    for (const auto& r : corpus.records) records.push_back(&r.record);
    otiose::build_model(records, config, dir / "model.bin", 0, {}, nullptr, &occupations);
    model = std::make_unique<SimilarityModel>(dir / "model.bin");
  }
  otiose::Occupations occupations = otiose::test::bundled_occupations();
};

}  // namespace

TEST_CASE("three documents, cosines checked by hand") {
  TfidfConfig config;
  config.fields = {"title"};
  std::vector<otiose::Record> records = {specimen("a", "apple banana"),
                                         specimen("b", "apple cherry"), specimen("c", "durian")};
  TempDir dir;
  auto stats = otiose::build_model(pointers(records), config, dir / "m.bin");
  CHECK(stats.terms == 4);
  SimilarityModel model(dir / "m.bin");
  // idf(apple) = ln(4/3) + 1, idf(banana) = idf(cherry) = ln(4/2) + 1;
  // cos(a, b) = idf(apple)^2 / (idf(apple)^2 + idf(banana)^2).
  double apple = std::log(4.0 / 3.0) + 1, banana = std::log(2.0) + 1;
  double expected = apple * apple / (apple * apple + banana * banana);
  CHECK(expected == Approx(0.366446).epsilon(1e-5));
  auto related = model.related("a", 10);
  REQUIRE(related.size() == 1);
  CHECK(related[0].slug == "b");
  CHECK(related[0].cosine == Approx(expected).epsilon(1e-12));
  // The closest (here the only) pair of neighbours reads 100.
  CHECK(related[0].match == 100);
  // Each neighbour carries its position, and the list by position is the
  // list by slug.
  CHECK(related[0].index == static_cast<std::size_t>(model.find("b")));
  auto by_index = model.related(static_cast<std::size_t>(model.find("a")), 10);
  REQUIRE(by_index.size() == 1);
  CHECK(by_index[0].slug == "b");
  CHECK(by_index[0].cosine == related[0].cosine);
  CHECK_THROWS_AS(model.related(model.size(), 3), otiose::Error);
  CHECK(model.related("c", 10).empty());  // nothing shared: no neighbours at 0%
  CHECK(model.cosine("a", "c") == 0.0);
  CHECK(model.related_text("Banana!", 3)[0].slug == "a");
  CHECK(model.match_text("Banana!", 3).matches.at(0).index ==
        static_cast<std::size_t>(model.find("a")));
  CHECK(model.related_text("Banana!", 3)[0].cosine ==
        Approx(banana / std::sqrt(apple * apple + banana * banana)));
  auto why = model.explain("a", "b", 5);
  REQUIRE(why.size() == 1);
  CHECK(why[0].term == "apple");
  CHECK(why[0].share == Approx(1.0));
  CHECK_THROWS_AS(model.related("nope", 3), otiose::Error);
}

TEST_CASE("a word pair a specimen says twice is a term of its own for a pasted ad alone") {
  TfidfConfig config;
  config.fields = {"title", "tagline"};
  config.stop_words = {"of", "all", "and"};
  // The same words as often ("of" is a stop word): "a" says "quality
  // assurance" twice, "b" never side by side.
  std::vector<otiose::Record> records = {specimen("a", "Quality Assurance"),
                                         specimen("b", "Assurance Quality"),
                                         specimen("c", "Durian")};
  records[0].tagline = "quality assurance of release notes";
  records[1].tagline = "release quality notes assurance";
  TempDir dir;
  otiose::build_model(pointers(records), config, dir / "m.bin");
  SimilarityModel model(dir / "m.bin");
  CHECK(otiose::detail::ModelAccess::view(model).pairs == 1);
  // Between specimens, the plain cosine: the same words, the same vector.
  CHECK(model.cosine("a", "b") == Approx(1.0));
  auto found = model.match_text("We need quality assurance.", 3);
  REQUIRE(found.matches.size() == 2);
  CHECK(found.matches[0].slug == "a");
  CHECK(found.matches[1].slug == "b");
  CHECK(found.matches[0].cosine > found.matches[1].cosine + 0.1);
  auto why = model.explain_text("We need quality assurance.", "a", 5);
  REQUIRE(why.size() == 3);
  CHECK(why[0].term == "quality assurance");
  double shares = 0;
  for (const auto& w : why) shares += w.share;
  CHECK(shares == Approx(1.0));
  // Apart in the ad, the words alone: "a" shares its norm with its pair.
  auto apart = model.match_text("Assurance of all kinds, and quality.", 3);
  REQUIRE(apart.matches.size() == 2);
  CHECK(apart.matches[0].slug == "b");
}

TEST_CASE("k beyond the stored lists is computed, and agrees with them") {
  Catalogue c;
  for (std::size_t i = 0; i < c.model->size(); i += 7) {
    std::string slug = c.model->slug(i);
    auto stored = c.model->related(slug, c.model->stored_k());
    auto computed = c.model->related(slug, 40);
    REQUIRE(computed.size() >= stored.size());
    for (std::size_t r = 0; r < stored.size(); ++r) {
      CHECK(computed[r].slug == stored[r].slug);
      CHECK(computed[r].cosine == Approx(stored[r].cosine).epsilon(1e-12));
    }
  }
}

TEST_CASE("vectors computed from the stored counts are the build's, bit for bit") {
  // A row's values are not stored: they are computed from its counts, the
  // IDF and the row's scale (kRowScale), and must be the very bits the build
  // computed, or an edit would take every row for changed. The stored
  // neighbour cosines are the build's sparse dot products, in ascending
  // term order, and must come out again exactly.
  Catalogue c;
  const auto view = otiose::detail::ModelAccess::view(*c.model);
  const bool sublinear = c.model->config().sublinear_tf;
  std::size_t compared = 0, differ = 0;
  for (std::size_t i = 0; i < view.n; ++i)
    for (std::size_t r = 0; r < view.k; ++r) {
      const std::uint32_t j = view.top_idx[i * view.k + r];
      if (j == otiose::detail::kNoNeighbour) break;
      double sum = 0.0;
      for (std::uint64_t p = view.row_ptr[i], q = view.row_ptr[j];
           p < view.row_ptr[i + 1] && q < view.row_ptr[j + 1];) {
        if (view.row_idx[p] < view.row_idx[q]) {
          ++p;
        } else if (view.row_idx[q] < view.row_idx[p]) {
          ++q;
        } else {
          sum += view.row_value(i, p++, sublinear) * view.row_value(j, q++, sublinear);
        }
      }
      const double stored = view.top_val[i * view.k + r];
      differ += std::memcmp(&sum, &stored, sizeof(double)) != 0;
      ++compared;
    }
  CHECK(compared > view.n);
  CHECK(differ == 0);
  // And the columns: a pasted specimen's own text finds it at cosine 1.
  for (std::size_t i = 0; i < view.n; i += 9) {
    const auto& r = c.corpus.records[i].record;
    auto found = c.model->related_text(otiose::specimen_text(r, c.config), 1);
    REQUIRE(found.size() == 1);
    CHECK(found[0].slug == r.slug);
    CHECK(found[0].cosine == Approx(1.0).epsilon(1e-12));
  }
}

TEST_CASE("the tokenizer gives scikit-learn's tokens on any Unicode text") {
  auto reference = nlohmann::json::parse(run(python() + " tokens 20261122 3000"));
  const auto& texts = reference["texts"];
  const auto& tokens = reference["tokens"];
  REQUIRE(texts.size() > 3000);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto text = texts[i].get<std::string>();
    INFO("text #" << i << ": " << text);
    CHECK(otiose::tokenize(text) == tokens[i].get<std::vector<std::string>>());
  }
}

TEST_CASE("tokenizer cases worth naming") {
  using V = std::vector<std::string>;
  CHECK(otiose::tokenize("Don\u2019t  re-org the C-suite!") ==
        V{"don", "re", "org", "the", "suite"});
  CHECK(otiose::tokenize("Caf\u00e9 CAF\u00c9") == V{"caf\u00e9", "caf\u00e9"});
  CHECK(otiose::tokenize("cafe\u0301") == V{"cafe"});  // a combining accent is not \w
  CHECK(otiose::tokenize("\u039f\u0394\u039f\u03a3") ==
        V{"\u03bf\u03b4\u03bf\u03c2"});  // final sigma
  CHECK(otiose::tokenize("a b c 42 x_y") == V{"42", "x_y"});
  CHECK(otiose::tokenize("bad\xff\xfeutf8") == V{"bad", "utf8"});
  CHECK(otiose::tokenize("KEEP", false) == V{"KEEP"});
}

TEST_CASE("the model agrees with scikit-learn on the bundled catalogue") {
  Catalogue c;
  std::string jd = std::string(OTIOSE_TEST_DATA) + "/pages/seed-job-description.txt";
  auto reference = nlohmann::json::parse(run(python() + " model " +
                                             otiose::test::source_path("similarity/tfidf.json") +
                                             " " + otiose::test::source_path("data") + " " + jd));
  auto slugs = reference["slugs"].get<std::vector<std::string>>();
  REQUIRE(slugs.size() == c.model->size());
  CHECK(reference["vocabulary"].get<std::size_t>() == c.model->vocabulary());

  auto same_list = [](const std::vector<otiose::Neighbour>& mine, const nlohmann::json& theirs) {
    REQUIRE(mine.size() == theirs.size());
    for (std::size_t r = 0; r < mine.size(); ++r) {
      INFO("rank " << r);
      CHECK(mine[r].cosine == Approx(theirs[r][1].get<double>()).margin(1e-6));
      // Exactly the same specimen, unless two cosines tie to rounding noise.
      if (mine[r].slug != theirs[r][0].get<std::string>()) {
        CHECK(std::abs(mine[r].cosine - theirs[r][1].get<double>()) < 1e-12);
      }
    }
  };
  double worst = 0;
  for (std::size_t i = 0; i < slugs.size(); ++i) {
    REQUIRE(c.model->slug(i) == slugs[i]);
    for (std::size_t j = 0; j < slugs.size(); ++j) {
      if (i == j) continue;
      double mine = c.model->cosine(slugs[i], slugs[j]);
      double theirs = reference["cosine"][i][j].get<double>();
      worst = std::max(worst, std::abs(mine - theirs));
    }
    INFO(slugs[i]);
    same_list(c.model->related(slugs[i], c.model->stored_k()), reference["top"][i]);
  }
  CHECK(worst < 1e-6);

  std::string text = otiose::test::seed_job_description();
  auto mine = c.model->related_text(text, c.model->stored_k());
  same_list(mine, reference["texts"][0]["top"]);
  for (std::size_t j = 0; j < slugs.size(); ++j) {
    double theirs = reference["texts"][0]["cosine"][j].get<double>();
    auto found =
        std::find_if(mine.begin(), mine.end(), [&](const auto& n) { return n.slug == slugs[j]; });
    if (found != mine.end()) CHECK(found->cosine == Approx(theirs).margin(1e-6));
  }
}

TEST_CASE("the seed job description finds its specimen first") {
  Catalogue c;
  auto top = c.model->related_text(otiose::test::seed_job_description(), 3);
  REQUIRE_FALSE(top.empty());
  CHECK(top[0].slug == "senior-customer-service-manager");
}

TEST_CASE("the model has each specimen's card and resolves its names") {
  Catalogue c;
  std::map<std::string, std::set<std::string>> owners;  // name key -> slugs
  for (const auto& r : c.corpus.records) {
    owners[otiose::detail::name_key(r.record.title)].insert(r.record.slug);
    for (const auto& a : r.record.aliases.value_or(std::vector<std::string>{}))
      owners[otiose::detail::name_key(a)].insert(r.record.slug);
  }
  for (const auto& r : c.corpus.records) {
    INFO(r.record.slug);
    std::ptrdiff_t i = c.model->find(r.record.slug);
    REQUIRE(i >= 0);
    auto k = static_cast<std::size_t>(i);
    CHECK(c.model->title(k) == r.record.title);
    CHECK(c.model->tagline(k) == r.record.tagline);
    // Its slug in any case, its title, and each alias no other specimen has.
    std::string shouted = r.record.slug;
    for (char& ch : shouted) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    CHECK(c.model->resolve(" " + shouted + " ") == i);
    CHECK(c.model->resolve(r.record.title) == i);
    for (const auto& a : r.record.aliases.value_or(std::vector<std::string>{}))
      if (owners[otiose::detail::name_key(a)].size() == 1) CHECK(c.model->resolve(a) == i);
  }
  auto at = [&](std::string_view name) {
    std::ptrdiff_t i = c.model->resolve(name);
    return i < 0 ? std::string() : c.model->slug(static_cast<std::size_t>(i));
  };
  CHECK(at("Enterprise Architect") == "enterprise-architect");
  CHECK(at("SCRUM MASTER") == "scrum-master");
  CHECK(at("Certified ScrumMaster (CSM)") == "scrum-master");  // an alias
  CHECK(at("Sr. Scrum Master") == "scrum-master");             // seniority is no part of a name
  CHECK(at("scrum") == "");
  CHECK(at("Senior") == "");
  CHECK(at("") == "");
  CHECK_THROWS_AS(c.model->title(c.model->size()), otiose::Error);
}

TEST_CASE("closest names the specimens an exhaustive comparison would, in its order") {
  Catalogue c;
  // The definition in similarity.h, every key compared in full.
  auto reference = [&](std::string_view name, std::size_t k) {
    std::string typed = otiose::detail::name_key(name), compact;
    for (char ch : typed)
      if (ch != ' ') compact += ch;
    using Distance = std::pair<std::size_t, std::size_t>;
    auto distance = [&](const std::string& key) -> Distance {
      std::string initials;
      for (std::size_t i = 0; i < key.size(); ++i)
        if (key[i] != ' ' && (i == 0 || key[i - 1] == ' ')) initials += key[i];
      std::size_t whole = otiose::detail::edit_distance(typed, key);
      if (initials.size() >= 2 && initials == compact) return {0, whole};
      if (key.find(typed) != std::string::npos) return {1, whole};
      std::size_t d = whole;
      std::size_t from = 0;
      while (from < key.size()) {
        std::size_t to = std::min(key.find(' ', from), key.size());
        d = std::min(d, 1 + otiose::detail::edit_distance(typed, key.substr(from, to - from)));
        from = to + 1;
      }
      return {2 + d, whole};
    };
    std::vector<std::pair<Distance, std::string>> ranked;
    for (const auto& r : c.corpus.records) {
      std::string words = r.record.slug;
      std::replace(words.begin(), words.end(), '-', ' ');
      Distance best = distance(words);
      std::vector<std::string> names{r.record.title};
      for (const auto& a : r.record.aliases.value_or(std::vector<std::string>{}))
        names.push_back(a);
      for (const auto& n : names) {
        std::string key = otiose::detail::name_key(n);
        if (!key.empty()) best = std::min(best, distance(key));
      }
      ranked.emplace_back(best, r.record.slug);
    }
    std::sort(ranked.begin(), ranked.end());
    const std::size_t reach = std::max<std::size_t>(2, (typed.size() + 2) / 3);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < ranked.size() && out.size() < k; ++i)
      if (ranked[i].first.first < 2 || ranked[i].first.first - 2 <= reach)
        out.push_back(ranked[i].second);
    return out;
  };
  for (const char* typed : {"scrum mastr", "enterprize architekt", "CSM", "architect", "data",
                            "zzzz", "a", "senior customer service manger", "prodct ownr", "qa",
                            "devops engineeer", "Head of Strategic Oversight", "technical writter",
                            "the", "x y z", "nope", "data scientst", "qwertyuiop", "dvops"})
    for (std::size_t k : std::initializer_list<std::size_t>{1, 3, 5, 20, 1000}) {
      CAPTURE(typed, k);
      CHECK(c.model->closest(typed, k) == reference(typed, k));
    }
  CHECK(c.model->closest("scrum", 0).empty());
  // Nothing within reach: no suggestion, however many were asked for; a
  // near miss still finds its one.
  CHECK(c.model->closest("nope", 5).empty());
  CHECK(c.model->closest("qwertyuiop", 5).empty());
  CHECK(c.model->closest("data scientst", 5) == std::vector<std::string>{"data-scientist"});
}

TEST_CASE("a damaged model file is a clear error naming the file") {
  Catalogue c;
  std::string good = c.dir / "model.bin";
  std::string bytes = otiose::test::read_file(good);
  auto expect_error = [](const std::string& path, const std::string& words) {
    try {
      SimilarityModel m(path);
      m.verify();
      FAIL("opened a damaged model");
    } catch (const otiose::Error& e) {
      CHECK(e.kind() == otiose::ErrorKind::kModel);
      std::string what = e.what();
      CHECK(what.find(path) != std::string::npos);
      CHECK(what.find(words) != std::string::npos);
    }
  };
  SECTION("truncated") {
    for (std::size_t size :
         {std::size_t{0}, std::size_t{10}, std::size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
      otiose::test::write_file(c.dir / "cut.bin", bytes.substr(0, size));
      expect_error(c.dir / "cut.bin", size < 64 ? "truncated" : "damaged");
    }
  }
  SECTION("a flipped byte anywhere") {
    for (std::size_t at = 64; at < bytes.size(); at += bytes.size() / 97) {
      std::string flipped = bytes;
      flipped[at] = static_cast<char>(flipped[at] ^ 0x20);
      otiose::test::write_file(c.dir / "flip.bin", flipped);
      expect_error(c.dir / "flip.bin", "damaged");
    }
  }
  SECTION("a flipped byte is caught by the first look-up that reads it") {
    // Opening reads only the header and the table; the stored lists are
    // checked when read. Flip a byte in the last stored list.
    SimilarityModel m(good);
    std::string last = m.slug(m.size() - 1);
    auto before = m.related(last, m.stored_k());
    REQUIRE_FALSE(before.empty());
    std::string flipped = bytes;
    // The stored cosines' section, from the section table.
    otiose::detail::Section top{};
    std::memcpy(&top,
                bytes.data() + sizeof(otiose::detail::Header) +
                    (otiose::detail::kTopVal - 1) * sizeof(otiose::detail::Section),
                sizeof top);
    std::size_t at = top.offset + top.size - 2;  // in the last cosine
    flipped[at] = static_cast<char>(flipped[at] ^ 0x01);
    otiose::test::write_file(c.dir / "late.bin", flipped);
    SimilarityModel damaged(c.dir / "late.bin");
    CHECK_THROWS_WITH(damaged.related(last, damaged.stored_k()),
                      Catch::Contains("late.bin") && Catch::Contains("checksum mismatch"));
    CHECK_THROWS_WITH(damaged.verify(), Catch::Contains("checksum mismatch"));
  }
  SECTION("the block sums are vouched for by the sums of them") {
    auto section = [&](otiose::detail::SectionId id) {
      otiose::detail::Section s{};
      std::memcpy(&s,
                  bytes.data() + sizeof(otiose::detail::Header) +
                      (id - 1) * sizeof(otiose::detail::Section),
                  sizeof s);
      return s;
    };
    // A flipped block sum: found by the first read of a block its page of
    // sums vouches for (here the section table's, at open).
    std::string flipped = bytes;
    flipped[section(otiose::detail::kBlockSums).offset + 3] ^= 0x10;
    otiose::test::write_file(c.dir / "sums.bin", flipped);
    CHECK_THROWS_WITH(
        SimilarityModel(c.dir / "sums.bin").verify(),
        Catch::Contains("sums.bin") && Catch::Contains("checksum mismatch in the block sums"));
    // A flipped sum of sums fails the open.
    flipped = bytes;
    flipped[section(otiose::detail::kSumSums).offset + 1] ^= 0x10;
    otiose::test::write_file(c.dir / "top.bin", flipped);
    CHECK_THROWS_WITH(
        SimilarityModel(c.dir / "top.bin"),
        Catch::Contains("top.bin") && Catch::Contains("checksum mismatch in the block sums"));
  }
  SECTION("another format version") {
    std::string other = bytes;
    other[8] = 99;
    otiose::test::write_file(c.dir / "v99.bin", other);
    expect_error(c.dir / "v99.bin", "format version 99");
  }
  SECTION("not a model at all") {
    otiose::test::write_file(c.dir / "text.bin", std::string(200, 'x'));
    expect_error(c.dir / "text.bin", "bad magic");
  }
  SECTION("missing") {
    expect_error(c.dir / "absent.bin", "cannot open");
  }
}

TEST_CASE("an ad more like a reference occupation no specimen is: reads_like, lower match") {
  TfidfConfig config;
  config.fields = {"title", "tagline"};
  std::vector<otiose::Record> records = {specimen("baker", "Baker"), specimen("cook", "Cook")};
  records[0].tagline = "bread dough oven flour";
  records[1].tagline = "soup stove pan knife";
  otiose::Occupations occupations;
  occupations.reference = {{"1", "Bakers", "bread dough oven flour yeast"},
                           {"2", "Cooks", "soup stove pan knife stock"},
                           {"3", "Millers", "flour mill grain wheat sacks"}};
  occupations.covered = {{"baker", "1", "map:1"},
                         {"cook", "2", "map:2"},
                         {"nobody", "3", "map:3"}};  // a slug not in the catalogue covers nothing
  TempDir dir;
  otiose::build_model(pointers(records), config, dir / "m.bin", 1, {}, nullptr, &occupations);
  SimilarityModel model(dir / "m.bin");
  CHECK(model.occupations() == 3);
  // Like the bakers (a specimen's occupation): nothing taken off.
  auto bread = model.match_text("bread dough yeast oven", 2);
  CHECK(bread.reads_like.empty());
  CHECK(bread.reference_gap == 0.0);
  CHECK(bread.matches[0].slug == "baker");
  // Like the millers, whom no specimen is: the gap is taken off the match,
  // and the ranking stays the specimens' own.
  auto grain = model.match_text("flour grain wheat mill sacks", 2);
  CHECK(grain.reads_like == "Millers");
  CHECK(grain.reference_gap > 0.3);
  REQUIRE_FALSE(grain.matches.empty());
  CHECK(grain.matches[0].slug == "baker");
  CHECK_FALSE(grain.confident);
  // Without the reference, the same words read higher.
  otiose::build_model(pointers(records), config, dir / "plain.bin", 1);
  SimilarityModel plain(dir / "plain.bin");
  CHECK(plain.occupations() == 0);
  auto grain_plain = plain.match_text("flour grain wheat mill sacks", 2);
  CHECK(grain_plain.reads_like.empty());
  CHECK(grain_plain.matches[0].match > grain.matches[0].match);
}

TEST_CASE("bad occupation files name the file and the line") {
  TempDir dir;
  otiose::test::write_file(dir / "ref.tsv", "# comment\n1\tBakers\tbread\n2\tCooks\n");
  otiose::test::write_file(dir / "map.tsv", "baker 1\n");
  CHECK_THROWS_WITH(otiose::load_occupations(dir / "ref.tsv", dir / "map.tsv"),
                    Catch::Contains(dir / "ref.tsv" + ":3: expected CODE<TAB>TITLE<TAB>TEXT"));
  otiose::test::write_file(dir / "ref.tsv", "1\tBakers\tbread\n1\tCooks\tsoup\n");
  CHECK_THROWS_WITH(otiose::load_occupations(dir / "ref.tsv", dir / "map.tsv"),
                    Catch::Contains(":2: occupation 1 is listed twice"));
  otiose::test::write_file(dir / "ref.tsv", "1\tBakers\tbread\n");
  otiose::test::write_file(dir / "map.tsv", "baker 1  # Bakers\n\ncook 9\n");
  CHECK_THROWS_WITH(otiose::load_occupations(dir / "ref.tsv", dir / "map.tsv"),
                    Catch::Contains(dir / "map.tsv" + ":3: no occupation 9 in " + dir / "ref.tsv"));
  otiose::test::write_file(dir / "map.tsv", "baker\n");
  CHECK_THROWS_WITH(otiose::load_occupations(dir / "ref.tsv", dir / "map.tsv"),
                    Catch::Contains(":1: expected SLUG CODE [CODE...]"));
  otiose::test::write_file(dir / "map.tsv", "baker 1 # Bakers\n");
  auto ok = otiose::load_occupations(dir / "ref.tsv", dir / "map.tsv");
  REQUIRE(ok.covered.size() == 1);
  CHECK(ok.covered[0].where == dir / "map.tsv" + ":1");
  CHECK_THROWS_AS(otiose::load_occupations(dir / "absent.tsv", dir / "map.tsv"), otiose::Error);
  otiose::test::write_file(dir / "t.json", R"({"occupations": 5})");
  CHECK_THROWS_WITH(otiose::load_tfidf_config(dir / "t.json"),
                    Catch::Contains("occupations: expected a file name"));
  otiose::test::write_file(dir / "t.json", R"({"occupations": "ref.tsv"})");
  CHECK(otiose::load_tfidf_config(dir / "t.json").occupations == dir / "ref.tsv");
}

TEST_CASE("a bad tfidf.json names the file and the key") {
  TempDir dir;
  otiose::test::write_file(dir.path() / "t.json", R"({"fields": ["title", "nope[]"]})");
  CHECK_THROWS_WITH(
      otiose::load_tfidf_config(dir / "t.json"),
      Catch::Contains(dir / "t.json") && Catch::Contains("fields: unknown record path \"nope[]\""));
  otiose::test::write_file(dir.path() / "t.json", R"({"norm": "l1"})");
  CHECK_THROWS_WITH(otiose::load_tfidf_config(dir / "t.json"),
                    Catch::Contains("norm: only \"l2\""));
  otiose::test::write_file(dir.path() / "t.json", R"({"max_df": 1.5})");
  CHECK_THROWS_WITH(otiose::load_tfidf_config(dir / "t.json"),
                    Catch::Contains("max_df: expected a proportion"));
}

namespace {

// Writes `n` generated specimens (a small vocabulary: every term is in most
// of them, so all-pairs takes the dense path) to dir/c.jsonl and their
// model to dir/m.bin; returns their slugs in the model's order, by which
// it breaks ties.
std::vector<std::string> build_dense_model(const TempDir& dir, std::size_t n,
                                           const std::string& marker) {
  otiose::test::write_file(dir.path() / "c.jsonl", otiose::test::generated_corpus(n, marker));
  auto config = otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json"));
  auto corpus = otiose::load_corpus({dir / "c.jsonl"});
  REQUIRE(corpus.error_count() == 0);
  std::vector<const otiose::Record*> records;
  std::vector<std::string> slugs;
  for (const auto& r : corpus.records) {
    records.push_back(&r.record);
    slugs.push_back(r.record.slug);
  }
  auto stats = otiose::build_model(records, config, dir / "m.bin");
  REQUIRE(stats.dense_terms > 0);
  std::sort(slugs.begin(), slugs.end());
  return slugs;
}

}  // namespace

TEST_CASE("the dense path's single-precision product never reaches a stored list or cosine") {
  // The generated corpus's cosines sit close together, many within the
  // single-precision product's error of each other: every stored list must
  // be the one an exhaustive comparison in double gives, cosines to 1e-12.
  TempDir dir;
  const std::vector<std::string> slugs = build_dense_model(dir, 2500, "Ties");
  SimilarityModel model(dir / "m.bin");
  std::size_t checked = 0, mismatches = 0;
  for (std::size_t i = 0; i < slugs.size(); i += 25) {
    std::vector<std::pair<double, std::size_t>> all;
    for (std::size_t j = 0; j < slugs.size(); ++j)
      if (j != i) all.emplace_back(-model.cosine(slugs[i], slugs[j]), j);
    std::sort(all.begin(), all.end());
    auto mine = model.related(slugs[i], model.stored_k());
    REQUIRE(mine.size() == model.stored_k());
    for (std::size_t r = 0; r < mine.size(); ++r) {
      double exact = -all[r].first;
      if (std::abs(mine[r].cosine - exact) > 1e-12) ++mismatches;
      if (mine[r].slug != slugs[all[r].second] && std::abs(mine[r].cosine - exact) > 1e-12)
        ++mismatches;
    }
    ++checked;
  }
  CHECK(checked == 100);
  CHECK(mismatches == 0);
}

TEST_CASE("the dense path for common terms agrees with scikit-learn on a larger corpus") {
  TempDir dir;
  build_dense_model(dir, 2500, "Dense");
  SimilarityModel model(dir / "m.bin");
  auto reference = nlohmann::json::parse(run(python() + " model " +
                                             otiose::test::source_path("similarity/tfidf.json") +
                                             " " + (dir / "c.jsonl")));
  auto slugs = reference["slugs"].get<std::vector<std::string>>();
  REQUIRE(slugs.size() == model.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < slugs.size(); ++i) {
    auto mine = model.related(slugs[i], model.stored_k());
    const auto& theirs = reference["top"][i];
    REQUIRE(mine.size() == theirs.size());
    for (std::size_t r = 0; r < mine.size(); ++r) {
      double c = theirs[r][1].get<double>();
      if (std::abs(mine[r].cosine - c) > 1e-6) ++mismatches;
      if (mine[r].slug != theirs[r][0].get<std::string>() && std::abs(mine[r].cosine - c) >= 1e-12)
        ++mismatches;
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("all-pairs progress never goes back and ends at the total, on both paths") {
  // 2,500 generated specimens take the dense path (each pair once); 300
  // take the inverted lists alone (a row at a time).
  for (const std::size_t n : {std::size_t{2500}, std::size_t{300}}) {
    TempDir dir;
    otiose::test::write_file(dir / "c.jsonl", otiose::test::generated_corpus(n, "Progress"));
    otiose::Corpus corpus = otiose::load_corpus({dir / "c.jsonl"});
    REQUIRE(corpus.error_count() == 0);
    std::vector<const otiose::Record*> records;
    for (const auto& r : corpus.records) records.push_back(&r.record);
    std::vector<std::pair<std::size_t, std::size_t>> calls;
    auto stats = otiose::build_model(
        records, otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json")),
        dir / "m.bin", 2,
        [&](std::size_t done, std::size_t total) { calls.emplace_back(done, total); });
    CHECK((stats.dense_terms > 0) == (n == 2500));
    REQUIRE(calls.size() >= 4);
    for (std::size_t i = 0; i < calls.size(); ++i) {
      CHECK(calls[i].second == n);
      if (i > 0) CHECK(calls[i].first >= calls[i - 1].first);
    }
    CHECK(calls.back().first == n);
    // Progress counts pairs: with each pair computed once, from its first
    // row, half of them are done after about 30 % of the rows (counted in
    // rows, the 50 % mark would come half-way through the calls).
    if (n == 2500) {
      auto half =
          std::find_if(calls.begin(), calls.end(), [&](const auto& c) { return c.first >= n / 2; });
      REQUIRE(half != calls.end());
      CHECK(half - calls.begin() < static_cast<std::ptrdiff_t>(calls.size() * 2 / 5));
    }
  }
}

TEST_CASE("the checksum is XXH3's, the same value from both of its builds") {
  // Known answers from xxHash's scalar build (XXH_VECTOR=XXH_SCALAR): a model
  // written on one machine is read on another, whatever its CPU has.
  std::vector<unsigned char> bytes(10000);
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<unsigned char>((i * 31 + 7) & 0xFF);
  const std::pair<std::size_t, std::uint64_t> known[] = {
      {0, 0x2D06800538D394C2ull},    {1, 0x4C5CCA45D0F4811Full},    {3, 0x15F7093B173D005Cull},
      {8, 0xDEC6A9A43575982Eull},    {16, 0x7E484C18D74895D0ull},   {17, 0x208BDE5EE2BED407ull},
      {128, 0xF92B70EAA21A6288ull},  {129, 0xF8F76713F2BB60FAull},  {240, 0xCCC7375172C41F03ull},
      {241, 0x0B3B630948CE4A00ull},  {1024, 0x23BC880EBF0D29C6ull}, {4096, 0xA3C19F8174CDE0BBull},
      {10000, 0x441F01D9711BEBEDull}};
  namespace d = otiose::detail;
  for (const auto& [n, sum] : known) {
    INFO(n << " bytes");
    CHECK(d::checksum(bytes.data(), n) == sum);
    CHECK(d::portable_checksum(bytes.data(), n) == sum);
    if (d::cpu_has_avx2()) CHECK(d::avx2_checksum(bytes.data(), n) == sum);
  }
  // Every length up to a few stripes, and unaligned starts.
  for (std::size_t start = 0; start < 3; ++start)
    for (std::size_t n = 0; n + start <= 2100; ++n) {
      const std::uint64_t sum = d::portable_checksum(bytes.data() + start, n);
      if (d::cpu_has_avx2()) REQUIRE(d::avx2_checksum(bytes.data() + start, n) == sum);
      REQUIRE(d::checksum(bytes.data() + start, n) == sum);
    }
}

TEST_CASE("a damaged page of block sums fails the reads it vouches for, not the others") {
  // A model of several pages of block sums (each page vouches for 2 MiB).
  TempDir dir;
  otiose::test::write_file(dir / "c.jsonl", otiose::test::generated_corpus(9000, "Sums"));
  otiose::Corpus corpus = otiose::load_corpus({dir / "c.jsonl"});
  std::vector<const otiose::Record*> records;
  for (const auto& r : corpus.records) records.push_back(&r.record);
  otiose::build_model(records,
                      otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json")),
                      dir / "model.bin", 0);
  std::string bytes = otiose::test::read_file(dir / "model.bin");
  namespace d = otiose::detail;
  auto section = [&](d::SectionId id) {
    d::Section s{};
    std::memcpy(&s, bytes.data() + sizeof(d::Header) + (id - 1) * sizeof(d::Section), sizeof s);
    return s;
  };
  // A page of sums vouching only for the vectors (CSR and CSC) and the
  // stored lists, which opening and name look-ups never read.
  const std::size_t page_bytes = d::kBlockSize / 8 * d::kBlockSize;
  const std::size_t from = section(d::kRowIdx).offset - sizeof(d::Header);
  const std::size_t to = section(d::kTopVal).offset + section(d::kTopVal).size - sizeof(d::Header);
  const std::size_t page = (from + page_bytes - 1) / page_bytes;
  REQUIRE((page + 1) * page_bytes <= to);
  bytes[section(d::kBlockSums).offset + page * d::kBlockSize + 3] ^= 0x04;
  otiose::test::write_file(dir / "mid.bin", bytes);
  SimilarityModel m(dir / "mid.bin");
  CHECK(m.slug(0) == records.front()->slug);
  CHECK(m.find(records.back()->slug) >= 0);
  CHECK(m.resolve(records.back()->title) >= 0);
  CHECK_THROWS_WITH(m.verify(), Catch::Contains("mid.bin") &&
                                    Catch::Contains("checksum mismatch in the block sums"));
}

TEST_CASE("TopK keeps what keep_best keeps, in the same order, ties by index") {
  // Scores from a few values only, so that ties are common.
  std::vector<otiose::detail::Scored> all;
  std::uint32_t seed = 12345;
  for (std::uint32_t i = 0; i < 500; ++i) {
    seed = seed * 1103515245u + 12345u;
    all.push_back({(i * 7919u) % 500u, static_cast<double>((seed >> 16) % 13) / 8.0});
  }
  for (std::size_t k : std::initializer_list<std::size_t>{0, 1, 3, 10, 499, 500, 800}) {
    CAPTURE(k);
    std::vector<otiose::detail::Scored> expected = all;
    otiose::detail::keep_best(expected, k);
    otiose::detail::TopK top(k);
    for (const auto& s : all) top.offer(s);
    std::vector<otiose::detail::Scored> got = std::move(top).take();
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].index == expected[i].index);
      CHECK(got[i].score == expected[i].score);
    }
  }
}

TEST_CASE(
    "an edit's model keeps the lists it proves unchanged, and is the file a full build writes") {
  // The generated corpus's cosines sit close together (the "Ties" corpus
  // above), so a changed specimen moves in and out of many lists.
  TempDir dir;
  otiose::test::write_file(dir.path() / "c.jsonl", otiose::test::generated_corpus(2500, "Edits"));
  const auto config = otiose::load_tfidf_config(otiose::test::source_path("similarity/tfidf.json"));
  const auto corpus = otiose::load_corpus({dir / "c.jsonl"});
  REQUIRE(corpus.error_count() == 0);
  std::vector<otiose::Record> base;
  for (const auto& r : corpus.records) base.push_back(r.record);
  otiose::build_model(pointers(base), config, dir / "old.bin", 2);
  SimilarityModel old(dir / "old.bin");

  // Each edit, and how many lists it must keep at least (a word no other
  // specimen has moves one vector; a common word moves every vector that
  // holds it).
  struct Edit {
    std::string what;
    std::function<void(std::vector<otiose::Record>&)> apply;
    std::size_t kept_at_least;
    std::size_t changed;  // records whose text the edit changes or adds
  };
  const std::vector<Edit> edits = {
      {"a new word in one tagline", [](auto& r) { r[7].tagline += " zebracornish"; }, 2400, 1},
      {"one tagline another's", [](auto& r) { r[11].tagline = r[1900].tagline; }, 2400, 1},
      {"one title the title of a neighbour",
       [](auto& r) { r[42].title = r[43].title + " " + r[44].title; }, 2400, 1},
      {"a common word added to twenty taglines",
       [](auto& r) {
         for (std::size_t i = 0; i < 20; ++i) r[i * 100].tagline += " Edits";
       },
       2000, 20},
      {"a record's text emptied to its title",
       [](auto& r) {
         otiose::Record bare;
         bare.slug = r[99].slug;
         bare.title = r[99].title;
         bare.tagline = "t";
         r[99] = bare;
       },
       0, 1},
      {"a specimen added (every IDF moves)",
       [](auto& r) {
         otiose::Record extra = r[5];
         extra.slug = "zz-added";
         r.push_back(extra);
       },
       0, 1},
  };
  for (const auto& e : edits) {
    INFO(e.what);
    std::vector<otiose::Record> edited = base;
    e.apply(edited);
    auto kept = otiose::build_model(pointers(edited), config, dir / "kept.bin", 2, {}, nullptr,
                                    nullptr, &old);
    otiose::build_model(pointers(edited), config, dir / "fresh.bin", 2);
    CHECK(kept.lists_kept >= e.kept_at_least);
    CHECK(kept.lists_kept < edited.size());
    CHECK(kept.counts_kept == edited.size() - e.changed);
    const std::string a = otiose::test::read_file(dir / "kept.bin");
    const std::string b = otiose::test::read_file(dir / "fresh.bin");
    CHECK(a.size() == b.size());
    CHECK((a == b));
  }
  // The same corpus: every list is kept, nothing computed.
  auto same =
      otiose::build_model(pointers(base), config, dir / "same.bin", 2, {}, nullptr, nullptr, &old);
  CHECK(same.lists_kept == base.size());
  CHECK(same.counts_kept == base.size());
  CHECK((otiose::test::read_file(dir / "same.bin") == otiose::test::read_file(dir / "old.bin")));

  // A configuration whose min_df drops terms stores counts of its
  // vocabulary alone: an edit tokenizes every specimen again.
  auto pruning = config;
  pruning.min_df = 2;
  otiose::build_model(pointers(base), pruning, dir / "pruned.bin", 2);
  SimilarityModel pruned(dir / "pruned.bin");
  std::vector<otiose::Record> edited = base;
  edited[7].tagline += " zebracornish";
  auto again = otiose::build_model(pointers(edited), pruning, dir / "kept.bin", 2, {}, nullptr,
                                   nullptr, &pruned);
  otiose::build_model(pointers(edited), pruning, dir / "fresh.bin", 2);
  CHECK(again.counts_kept == 0);
  CHECK((otiose::test::read_file(dir / "kept.bin") == otiose::test::read_file(dir / "fresh.bin")));
}

TEST_CASE(
    "an edit of the bundled catalogue (no dense terms) keeps lists and writes the same file") {
  Catalogue c;
  std::vector<otiose::Record> edited;
  for (const auto& r : c.corpus.records) edited.push_back(r.record);
  edited[3].tagline += " zebracornish";  // one vector moves, and no IDF
  auto kept = otiose::build_model(pointers(edited), c.config, c.dir / "kept.bin", 1, {}, nullptr,
                                  &c.occupations, c.model.get());
  otiose::build_model(pointers(edited), c.config, c.dir / "fresh.bin", 1, {}, nullptr,
                      &c.occupations);
  CHECK(kept.lists_kept >= edited.size() / 2);
  CHECK(kept.dense_terms == 0);
  CHECK(otiose::detail::ModelAccess::view(*c.model).pairs > 100);  // reused with the counts
  CHECK((otiose::test::read_file(c.dir / "kept.bin") ==
         otiose::test::read_file(c.dir / "fresh.bin")));
}

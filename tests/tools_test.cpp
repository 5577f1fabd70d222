// End to end through the installed tools on the bundled catalogue.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <thread>

#include <otiose/search.h>

#include "process.h"
#include "test_util.h"

using nlohmann::json;
using otiose::test::Ran;
using otiose::test::run_command;

namespace {

std::string stage() {
  return std::string(OTIOSE_BINARY_DIR) + "/stage";
}
std::string bin(const std::string& tool) {
  return stage() + "/bin/" + tool;
}
std::string index_dir() {
  return std::string(OTIOSE_BINARY_DIR) + "/tools-test-index";
}

// The catalogue indexed once by the installed otiose-index.
const std::string& index() {
  static const std::string dir = [] {
    std::filesystem::remove_all(index_dir());
    Ran r = run_command(bin("otiose-index") + " " + otiose::test::source_path("data") +
                        " --index " + index_dir());
    INFO(r.err);
    REQUIRE(r.status == 0);
    return index_dir();
  }();
  return dir;
}

Ran search(const std::string& args) {
  return run_command(bin("otiose-search") + " --index " + index() + " " + args);
}
Ran related(const std::string& args, const std::string& input = "") {
  return run_command(bin("otiose-related") + " --index " + index() + " " + args, input);
}

json parse(const Ran& r) {
  INFO(r.err);
  REQUIRE(r.status == 0);
  return json::parse(r.out);
}

}  // namespace

TEST_CASE("otiose-search finds the seed by 'strategic oversight', with related specimens") {
  json j = parse(search("'strategic oversight' --json"));
  CHECK(j["query"] == "strategic oversight");
  CHECK(j["total"].get<int>() >= 1);
  CHECK(j["offset"] == 0);
  CHECK(j["limit"] == 10);
  CHECK(j["suggestion"].is_null());
  bool seed = false;
  for (const auto& h : j["hits"]) {
    seed |= h["slug"] == "senior-customer-service-manager";
    for (const char* key : {"rank", "id", "type", "kind", "slug", "title", "text", "source",
                            "snippet", "score", "related"})
      CHECK(h.contains(key));
    CHECK(h["related"].size() == 3);
    int previous = 100;
    for (const auto& r : h["related"]) {
      CHECK(r["slug"] != h["slug"]);
      // A percentile, in the list's order.
      CHECK(r["match"].get<int>() >= 0);
      CHECK(r["match"].get<int>() <= previous);
      previous = r["match"].get<int>();
      CHECK_FALSE(r["title"].get<std::string>().empty());
      CHECK_FALSE(r["tagline"].get<std::string>().empty());
    }
    CHECK(h["snippet"].get<std::string>().find("<b>") != std::string::npos);
  }
  CHECK(seed);
  // The specimen hit itself carries null kind and source.
  json roles = parse(search("'strategic oversight' --type role --json"));
  REQUIRE(roles["hits"].size() >= 1);
  CHECK(roles["hits"][0]["type"] == "role");
  CHECK(roles["hits"][0]["kind"].is_null());
  CHECK(roles["hits"][0]["source"].is_null());
}

TEST_CASE("each new specimen is found by its title and by two of its aliases") {
  struct Case {
    const char* slug;
    const char* names[3];
  };
  const Case cases[] = {
      {"software-engineer", {"Software Engineer", "Software Developer", "Java Developer"}},
      {"frontend-engineer", {"Frontend Engineer", "Front-End Developer", "JavaScript Developer"}},
      {"backend-engineer", {"Backend Engineer", "Node.js Developer", "Python Developer"}},
      {"full-stack-developer",
       {"Full-Stack Developer", "Full Stack Engineer", "Fullstack Developer"}},
      {"mobile-developer", {"Mobile Developer", "iOS Developer", "Android Engineer"}},
      {"security-engineer", {"Security Engineer", "AppSec Engineer", "Cyber Security Engineer"}},
      {"machine-learning-engineer", {"Machine Learning Engineer", "MLOps Engineer", "ML Engineer"}},
      {"platform-engineer", {"Platform Engineer", "Infrastructure Engineer", "Cloud Engineer"}},
      {"qa-engineer", {"QA Engineer", "QA Tester", "Software Tester"}},
      {"head-of-engineering",
       {"Head of Engineering", "VP of Engineering", "Director of Engineering"}},
      {"wordpress-developer",
       {"WordPress Developer", "WooCommerce Developer", "WordPress Engineer"}},
      {"ui-designer", {"UI Designer", "Visual Designer", "Graphic Designer"}},
      {"business-development-manager",
       {"Business Development Manager", "Partnerships Manager", "Head of Business Development"}},
      {"account-manager", {"Account Manager", "Key Account Manager", "Partner Account Manager"}},
      {"customer-support-specialist",
       {"Customer Support Specialist", "Customer Support Advocate", "Support Specialist"}},
      {"community-manager", {"Community Manager", "Online Community Manager", "Community Lead"}},
  };
  for (const auto& c : cases) {
    for (const char* name : c.names) {
      INFO(c.slug << ": " << name);
      json j = parse(search("'" + std::string(name) + "' --type role --related 0 --json"));
      REQUIRE(j["hits"].size() >= 1);
      CHECK(j["hits"][0]["slug"] == c.slug);
    }
  }
}

TEST_CASE("a quote hit carries its kind, its source and its owner") {
  json j = parse(search("'\"expensive human router\"' --json"));
  REQUIRE(j["hits"].size() >= 1);
  const json& h = j["hits"][0];
  CHECK(h["type"] == "quote");
  CHECK(h["kind"] == "complaint");
  CHECK(h["source"] == "teamblind.com");
  CHECK(h["slug"] == "senior-customer-service-manager");
  CHECK(h["id"] == "senior-customer-service-manager#complaint-2");
}

TEST_CASE("filters and sorts do what they say") {
  json by_salary = parse(search("'' --type role --sort salary --limit 100 --related 0 --json"));
  REQUIRE(by_salary["hits"].size() == otiose::test::catalogue_size());
  std::vector<long> salaries;
  for (const auto& h : by_salary["hits"]) {
    CHECK(h["type"] == "role");
    CHECK(h["related"].empty());
  }
  // Highest first: compare with the records themselves.
  long previous = LONG_MAX;
  for (const auto& h : by_salary["hits"]) {
    auto rec = json::parse(otiose::test::read_file(
        otiose::test::source_path("data/roles/" + h["slug"].get<std::string>() + ".json")));
    long avg = rec["salary"]["average"].get<long>();
    CHECK(avg <= previous);
    previous = avg;
  }
  json risky = parse(search("'' --type role --min-flight-risk 80 --limit 100 --json"));
  CHECK(risky["hits"].size() >= 1);
  for (const auto& h : risky["hits"]) {
    auto rec = json::parse(otiose::test::read_file(
        otiose::test::source_path("data/roles/" + h["slug"].get<std::string>() + ".json")));
    CHECK(rec["flight_risk"]["percent"].get<int>() >= 80);
  }
  json band =
      parse(search("'' --type role --salary-min 100000 --salary-max 130000 --limit 100 --json"));
  for (const auto& h : band["hits"]) {
    auto rec = json::parse(otiose::test::read_file(
        otiose::test::source_path("data/roles/" + h["slug"].get<std::string>() + ".json")));
    long avg = rec["salary"]["average"].get<long>();
    CHECK(avg >= 100000);
    CHECK(avg <= 130000);
  }
  json complaints = parse(search("meetings --kind complaint --limit 50 --json"));
  CHECK(complaints["hits"].size() >= 1);
  for (const auto& h : complaints["hits"]) CHECK(h["kind"] == "complaint");
  json paged = parse(search("meetings --limit 2 --offset 2 --json"));
  json first = parse(search("meetings --limit 4 --json"));
  REQUIRE(paged["hits"].size() == 2);
  CHECK(paged["hits"][0]["id"] == first["hits"][2]["id"]);
  CHECK(paged["hits"][0]["rank"] == 3);
}

TEST_CASE("did you mean, for a misspelling") {
  json j = parse(search("'stratgic oversite' --json"));
  CHECK(j["suggestion"] == "strategic oversight");
  // Nothing matched as typed: the suggestion's hits, saying so.
  CHECK(j["corrected"] == true);
  CHECK(j["total"].get<int>() >= 1);
  Ran text = search("'stratgic oversite'");
  CHECK(text.out.find("showing results for \"strategic oversight\"") != std::string::npos);
  Ran exact = search("'stratgic oversite' --exact");
  CHECK(exact.out.find("did you mean: strategic oversight") != std::string::npos);
  CHECK(parse(search("'stratgic oversite' --exact --json"))["corrected"] == false);
  // The issue's typos.
  CHECK(parse(search("meetngs --json"))["suggestion"] == "meetings");
  CHECK(parse(search("metings --json"))["suggestion"] == "meetings");
  CHECK(parse(search("sinergy --json"))["suggestion"] == "synergy");
}

TEST_CASE("synonyms from data/synonyms.txt expand a query") {
  json j = parse(search("hrbp --type role --json"));
  REQUIRE(j["hits"].size() >= 1);
  CHECK(j["hits"][0]["slug"] == "hr-business-partner");
}

TEST_CASE("otiose-related resolves slugs, titles and aliases, any case") {
  json by_slug = parse(related("enterprise-architect --top 3 --json"));
  CHECK(by_slug["slug"] == "enterprise-architect");
  CHECK(by_slug["title"] == "Enterprise Architect");
  CHECK(by_slug["related"].size() == 3);
  json by_title = parse(related("'ENTERPRISE ARCHITECT' --json"));
  CHECK(by_title["slug"] == "enterprise-architect");
  json by_alias = parse(related("'client delivery operations lead' --json"));
  CHECK(by_alias["slug"] == "senior-customer-service-manager");
  Ran text = related("enterprise-architect --top 3");
  CHECK(text.out.find("SYSTEM MATCH: ") != std::string::npos);
  CHECK(text.out.find("\033[") == std::string::npos);  // not a terminal: no colour
}

TEST_CASE("an unknown specimen is an error that lists the closest slugs") {
  Ran r = related("enterprize-architekt");
  CHECK(r.status == 3);
  CHECK(r.out.empty());
  CHECK(r.err.find("no specimen \"enterprize-architekt\"; closest: enterprise-architect") !=
        std::string::npos);
}

TEST_CASE("the closest specimens to an unknown name: acronyms, words, edits, not the alphabet") {
  auto closest = [](const std::string& name) {
    Ran r = related("'" + name + "'");
    CHECK(r.status == 3);
    std::size_t at = r.err.find("closest: ");
    return at == std::string::npos ? std::string() : r.err.substr(at + 9);
  };
  CHECK(closest("CSM").find("customer-success-manager") < 30);  // among the first two
  CHECK(closest("enterprize").rfind("enterprise-architect", 0) == 0);
  CHECK(closest("scrum mastr").rfind("scrum-master", 0) == 0);
  CHECK(closest("sdte").rfind("sdet", 0) == 0);
  // A name with nothing to compare lists nothing (it used to list the
  // alphabet's first five).
  Ran dash = related("-- -");
  CHECK(dash.status == 3);
  CHECK(dash.err.find("closest") == std::string::npos);
  // A directory is not a job ad: an I/O error, exit 5.
  Ran dir = related("--file " + otiose::test::source_path("data"));
  CHECK(dir.status == 5);
  CHECK(dir.err.find("a directory") != std::string::npos);
}

TEST_CASE("a pasted job description matches through --file and stdin") {
  std::string jd = std::string(OTIOSE_TEST_DATA) + "/pages/seed-job-description.txt";
  json from_file = parse(related("--file " + jd + " --json"));
  CHECK(from_file["slug"].is_null());
  CHECK(from_file["title"].is_null());
  CHECK(from_file["related"][0]["slug"] == "senior-customer-service-manager");
  CHECK(from_file["related"][0]["match"].get<int>() >= 90);
  CHECK(from_file["related"][0]["recognised"] == "customer service manager");
  CHECK(from_file["confident"] == true);
  CHECK(from_file.contains("reads_like"));  // the occupation it reads most like, or null
  json from_stdin = parse(related("--file - --json", otiose::test::seed_job_description()));
  CHECK(from_stdin["related"] == from_file["related"]);
  json explained = parse(related("scrum-master --top 1 --explain --json"));
  auto terms = explained["related"][0]["explain"];
  REQUIRE(terms.size() >= 1);
  CHECK(terms[0]["share"].get<double>() > 0);
}

TEST_CASE("an ad for a job no specimen is: 'no close specimen', and confident false") {
  std::string ad = std::string(OTIOSE_TEST_DATA) + "/ads/pastry-chef.txt";
  Ran text = related("--file " + ad);
  REQUIRE(text.status == 0);
  CHECK(text.out.find("no close specimen") != std::string::npos);
  json j = parse(related("--file " + ad + " --json"));
  CHECK(j["confident"] == false);
  REQUIRE(j["related"].size() == 3);  // the closest, named anyway
  CHECK(j["related"][0]["match"].get<int>() < 50);
  CHECK(j["related"][0]["recognised"].is_null());
  // A specimen's card has no such field.
  CHECK_FALSE(parse(related("scrum-master --json")).contains("confident"));
  CHECK_FALSE(parse(related("scrum-master --json")).contains("reads_like"));
  // An accountant's ad reads like an occupation the catalogue has no specimen
  // for (data/occupations.tsv), and the tool says which.
  std::string accountant = std::string(OTIOSE_TEST_DATA) + "/ads/accountant.txt";
  Ran said = related("--file " + accountant);
  CHECK(said.out.find("no close specimen: it reads most like Accountants and Auditors") !=
        std::string::npos);
  json aj = parse(related("--file " + accountant + " --json"));
  CHECK(aj["confident"] == false);
  CHECK(aj["reads_like"] == "Accountants and Auditors");
}

TEST_CASE("explaining a pasted ad names the role it recognised and the shared terms") {
  std::string ad = std::string(OTIOSE_TEST_DATA) + "/ads/technical-writer-among-marketing.txt";
  Ran r = related("--file " + ad + " --top 1 --explain");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("Technical Writer") != std::string::npos);
  CHECK(r.out.find("named as the ad's own role: \"technical writer\"") != std::string::npos);
  CHECK(r.out.find("shared terms (share of the cosine):") != std::string::npos);
}

TEST_CASE("usage errors: one line naming the tool, with a hint") {
  struct Case {
    const char* args;
    const char* says;
  };
  const Case cases[] = {
      {"meetings --limt 3", "otiose-search: error: unknown option --limt (did you mean --limit?)"},
      {"-meetings", "goes after --: otiose-search -- -meetings"},
      {"x --salary-min abc", "otiose-search: error: --salary-min: expected a number, got \"abc\""},
      {"x --salary-min 200000 --salary-max 100000",
       "--salary-min 200000 is above --salary-max 100000"},
  };
  for (const auto& c : cases) {
    INFO(c.args);
    Ran r = search(c.args);
    CHECK(r.status == 2);
    CHECK(r.err.find(c.says) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find("see otiose-search --help") != std::string::npos);
  }
  // A query after -- may start with '-' (Xapian's NOT), and several words
  // join into one query.
  Ran negated = search("--json -- -meetings agile");
  CHECK(negated.status == 0);
  CHECK(parse(negated)["query"] == "-meetings agile");
  CHECK(parse(search("meetings agile --json"))["query"] == "meetings agile");
}

TEST_CASE("hits grouped by specimen, counts that say both numbers, the truth past the end") {
  json grouped = parse(search("agile --json --related 0 --limit 100"));
  CHECK(grouped["grouped"] == true);
  std::set<std::string> slugs;
  std::size_t documents = 0;
  for (const auto& h : grouped["hits"]) {
    CHECK(slugs.insert(h["slug"].get<std::string>()).second);  // one hit a specimen
    documents += 1 + h["more"].get<std::size_t>();
  }
  CHECK(grouped["specimens"] == slugs.size());
  CHECK(grouped["total"] == documents);
  CHECK(grouped["exact"] == true);  // the catalogue is far below the 20,000 examined
  json flat = parse(search("agile --all-quotes --json --related 0 --limit 100"));
  CHECK(flat["grouped"] == false);
  CHECK(flat["specimens"].is_null());
  CHECK(flat["total"] == grouped["total"]);
  CHECK(flat["hits"].size() == documents);
  Ran text = search("agile --related 1");
  CHECK(text.out.find(std::to_string(documents) + " hits in " + std::to_string(slugs.size()) +
                      " specimens") != std::string::npos);
  CHECK(text.out.find("more from this specimen") != std::string::npos);
  // All four documents of one specimen: 4 hits in 1 specimen (Xapian's
  // uncollapsed estimate said 1).
  json one = parse(search("'strategic oversight' --json --related 0"));
  CHECK(one["total"] == 4);
  CHECK(one["specimens"] == 1);
  REQUIRE(one["hits"].size() == 1);
  CHECK(one["hits"][0]["more"] == 3);
  // Past the end: how many there are, not "no hits".
  Ran past = search("meetings --offset 500");
  CHECK(past.status == 0);
  CHECK(past.out.find("nothing after") != std::string::npos);
  CHECK(past.out.find("no hits") == std::string::npos);
  // --limit 0: the counts alone, and nothing claimed about an end.
  Ran counts = search("meetings --limit 0");
  CHECK(counts.status == 0);
  CHECK(counts.out.find(" hits in ") != std::string::npos);
  CHECK(counts.out.find("nothing after") == std::string::npos);
  CHECK(counts.out.find("showing") == std::string::npos);
}

TEST_CASE("type and kind: both spellings, sort values shown, unknown kinds warned") {
  json a = parse(search("agile --type specimen --json --related 0"));
  json b = parse(search("'agile type:specimen' --json --related 0"));
  json c = parse(search("agile --type role --json --related 0"));
  CHECK(a["total"].get<int>() > 0);
  CHECK(a["total"] == b["total"]);
  CHECK(a["total"] == c["total"]);
  Ran bogus = search("'kind:bogus agile'");
  CHECK(bogus.status == 0);
  CHECK(bogus.err.find("warning: kind:bogus is not a quote kind") != std::string::npos);
  json sorted = parse(search("'' --type specimen --sort salary --limit 3 --json --related 0"));
  double previous = 1e18;
  for (const auto& h : sorted["hits"]) {
    REQUIRE(h["sort_value"].is_number());
    CHECK(h["sort_value"].get<double>() <= previous);
    previous = h["sort_value"].get<double>();
  }
  CHECK(search("'' --type specimen --sort flight-risk --limit 1").out.find("flight risk: ") !=
        std::string::npos);
}

TEST_CASE("snippets that read: separators, the matched field's word, never the line above") {
  json arch = parse(search("'title:architect' --json --related 0"));
  REQUIRE(arch["hits"].size() >= 1);
  for (const auto& h : arch["hits"]) {
    std::string snippet = h["snippet"];
    CHECK(snippet.find("<b>Architect</b>") != std::string::npos);
    CHECK(snippet.find(h["tagline"].get<std::string>()) == std::string::npos);
  }
  json cos = parse(search("'chief of staff' --type specimen --json --related 0"));
  REQUIRE(cos["hits"].size() >= 1);
  std::string snippet = cos["hits"][0]["snippet"];
  CHECK(snippet.find(" \u00b7 ") != std::string::npos);  // list items apart
  CHECK(snippet.find("Chief of Staff to the CEO Chief of Staff") == std::string::npos);
  CHECK(snippet.find(cos["hits"][0]["tagline"].get<std::string>()) == std::string::npos);
}

TEST_CASE("colour on request: --color=always colours a pipe, never turns it off") {
  CHECK(search("agile --limit 1 --color=always").out.find("\033[") != std::string::npos);
  CHECK(search("agile --limit 1 --color never").out.find("\033[") == std::string::npos);
  CHECK(search("agile --limit 1").out.find("\033[") == std::string::npos);  // not a terminal
  CHECK(related("scrum-master --color=always").out.find("\033[") != std::string::npos);
  CHECK(search("agile --color=sometimes").status == 2);
}

TEST_CASE("the README's sample output is what the tools print") {
  // The first ```console block: "$ command" lines, each followed by what it
  // prints; a line "   ..." stands for the rest of that output.
  std::string readme = otiose::test::read_file(otiose::test::source_path("README.md"));
  std::size_t begin = readme.find("```console\n");
  REQUIRE(begin != std::string::npos);
  begin += 11;
  std::string block = readme.substr(begin, readme.find("```\n", begin) - begin);
  std::vector<std::pair<std::string, std::string>> samples;  // command, output
  std::istringstream lines(block);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("$ ", 0) == 0)
      samples.emplace_back(line.substr(2), "");
    else if (!samples.empty())
      samples.back().second += line + "\n";
  }
  REQUIRE(samples.size() >= 3);
  std::string ad = std::string(OTIOSE_TEST_DATA) + "/pages/seed-job-description.txt";
  for (auto& [command, shown] : samples) {
    INFO(command);
    std::string tool = command.substr(0, command.find(' '));
    std::string args = command.substr(tool.size());
    if (std::size_t at = args.find("job-ad.txt"); at != std::string::npos) args.replace(at, 10, ad);
    Ran r = run_command(bin(tool) + " --index " + index() + args);
    REQUIRE(r.status == 0);
    // Blank lines between samples are the README's, not the tool's.
    while (shown.size() >= 2 && shown.compare(shown.size() - 2, 2, "\n\n") == 0) shown.pop_back();
    std::size_t cut = shown.find("   ...\n");
    if (cut != std::string::npos) {
      CHECK(r.out.substr(0, cut) == shown.substr(0, cut));
    } else {
      std::string out = r.out;
      while (out.size() >= 2 && out.compare(out.size() - 2, 2, "\n\n") == 0) out.pop_back();
      CHECK(out == shown);
    }
  }
}

TEST_CASE("the install ships each tool's completions and man page, from its options") {
  for (std::string tool :
       {"otiose-index", "otiose-import", "otiose-search", "otiose-related", "otiose-serve"}) {
    INFO(tool);
    std::string bash = stage() + "/share/bash-completion/completions/" + tool;
    std::string zsh = stage() + "/share/zsh/site-functions/_" + tool;
    std::string fish = stage() + "/share/fish/vendor_completions.d/" + tool + ".fish";
    std::string man = stage() + "/share/man/man1/" + tool + ".1";
    for (const auto& f : {bash, zsh, fish, man}) REQUIRE(std::filesystem::exists(f));
    CHECK(run_command("bash -n " + bash).status == 0);
    CHECK(otiose::test::read_file(bash).find("--version") != std::string::npos);
    CHECK((otiose::test::read_file(fish).find("-l json") != std::string::npos ||
           tool == "otiose-import" || tool == "otiose-serve"));
    CHECK(otiose::test::read_file(man).rfind(".TH ", 0) == 0);
    CHECK(otiose::test::read_file(man).find("\\-\\-version") != std::string::npos);
  }
  CHECK(otiose::test::read_file(stage() + "/share/bash-completion/completions/otiose-search")
            .find("--all-quotes") != std::string::npos);
}

TEST_CASE("every tool answers --help and --version, and usage errors exit 2") {
  for (const char* tool :
       {"otiose-index", "otiose-import", "otiose-search", "otiose-related", "otiose-serve"}) {
    INFO(tool);
    Ran help = run_command(bin(tool) + " --help");
    CHECK(help.status == 0);
    CHECK(help.out.find("Examples:") != std::string::npos);
    CHECK(help.out.find("Exit codes:") != std::string::npos);
    Ran version = run_command(bin(tool) + " --version");
    CHECK(version.status == 0);
    CHECK(version.out.find(tool) == 0);
    CHECK(run_command(bin(tool) + " --no-such-flag").status == 2);
  }
  Ran missing = run_command(bin("otiose-search") + " --index /nonexistent/otiose x");
  CHECK(missing.status == 4);
  CHECK(missing.err.find("build one with `otiose-index data --index /nonexistent/otiose`") !=
        std::string::npos);
  Ran serve_missing = run_command(bin("otiose-serve") + " --index /nonexistent/otiose");
  CHECK(serve_missing.status == 4);
  CHECK(serve_missing.err.find("otiose-serve: ") == 0);
  Ran serve_listen = run_command(bin("otiose-serve") + " --listen nowhere");
  CHECK(serve_listen.status == 2);
  CHECK(serve_listen.err.find("is not HOST:PORT") != std::string::npos);
}

TEST_CASE("otiose-index --check passes the catalogue and fails a bad record with its message") {
  Ran clean = run_command(bin("otiose-index") + " --check " + otiose::test::source_path("data"));
  CHECK(clean.status == 0);
  CHECK(clean.err.empty());
  otiose::test::TempDir dir;
  otiose::test::write_file(
      dir.path() / "data/roles/sdet.json",
      R"({"slug": "sdet", "title": "SDET", "tagline": "t", "flight_risk": {"percent": "high"}})");
  Ran bad = run_command(bin("otiose-index") + " --check " + (dir / "data"));
  CHECK(bad.status == 1);
  CHECK(
      bad.err.find(
          dir /
          "data/roles/sdet.json: flight_risk.percent: expected an integer 0..100, got \"high\"") !=
      std::string::npos);
  // And a bad corpus writes nothing.
  Ran write =
      run_command(bin("otiose-index") + " " + (dir / "data") + " --index " + (dir / "index"));
  CHECK(write.status == 1);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "index" / "current"));
}

#if !defined(__SANITIZE_ADDRESS__)
namespace {

// GLIBC_TUNABLES as a running otiose-index has it, started with `env`
// (assignments for env(1), or "-u GLIBC_TUNABLES"): it waits on a FIFO for
// its records meanwhile, and is looked at until the variable names the
// huge-page tunable or five seconds pass.
std::string index_tunables(const std::string& env) {
  otiose::test::TempDir dir;
  const std::string fifo = dir / "in", script = dir / "look.sh";
  otiose::test::write_file(
      script, "mkfifo " + fifo + "\nenv " + env + " " + bin("otiose-index") + " --check - <" +
                  fifo + " >/dev/null 2>&1 &\npid=$!\nexec 3>" + fifo +
                  "\nfor i in $(seq 100); do\n"
                  "  t=$(tr '\\0' '\\n' </proc/$pid/environ | grep '^GLIBC_TUNABLES=')\n"
                  "  case \"$t\" in *hugetlb*) break ;; esac\n  sleep 0.05\ndone\n"
                  "echo \"$t\"\nexec 3>&-\nwait $pid\nexit 0\n");
  Ran r = run_command("sh " + script);
  INFO(r.err);
  REQUIRE(r.status == 0);
  return r.out.substr(0, r.out.find('\n'));
}

}  // namespace
#endif

TEST_CASE("otiose-index starts itself again with glibc's huge pages, unless told either way") {
#if defined(__SANITIZE_ADDRESS__)
  WARN("an ASan build: its allocator is not glibc's, and the tool does not restart");
#else
  CHECK(index_tunables("-u GLIBC_TUNABLES") == "GLIBC_TUNABLES=glibc.malloc.hugetlb=1");
  // (Another tunable beside it is kept too, but glibc's start-up rewrites
  // the variable where /proc shows it.)
  CHECK(index_tunables("GLIBC_TUNABLES=glibc.malloc.hugetlb=0") ==
        "GLIBC_TUNABLES=glibc.malloc.hugetlb=0");
#endif
}

TEST_CASE("otiose-index tells the truth in a line: counts, plurals, a no-op, a non-corpus") {
  otiose::test::TempDir dir;
  otiose::test::write_file(dir / "one.jsonl", R"({"slug": "a", "title": "A", "tagline": "An a."})"
                                              "\n");
  Ran check = run_command(bin("otiose-index") + " --check " + (dir / "one.jsonl"));
  CHECK(check.out.find("checked 1 record: 0 errors, ") != std::string::npos);
  Ran first =
      run_command(bin("otiose-index") + " " + (dir / "one.jsonl") + " --index " + (dir / "index"));
  CHECK(first.out.find("1 specimen, 0 quotes (1 document) in ") != std::string::npos);
  Ran again =
      run_command(bin("otiose-index") + " " + (dir / "one.jsonl") + " --index " + (dir / "index"));
  CHECK(again.out.find("already up to date, nothing written") != std::string::npos);
  CHECK(again.out.find("documents/s") == std::string::npos);
  // An edit leaves what it writes out of the order equal scores are shown
  // in; the next change after more than a twentieth is a rebuild, and says so.
  auto edit = [&](const char* tagline, const char* flags) {
    otiose::test::write_file(dir / "one.jsonl", std::string(R"({"slug": "a", "title": "A", )") +
                                                    R"("tagline": ")" + tagline + "\"}\n");
    return run_command(bin("otiose-index") + " " + (dir / "one.jsonl") + " --index " +
                       (dir / "index") + flags);
  };
  Ran edited = edit("An a, edited.", "");
  CHECK(edited.out.find(": 0 added, 1 updated, 0 removed, 0 unchanged\n") != std::string::npos);
  Ran tidied = edit("An a, edited again.", "");
  CHECK(tidied.out.find(": 0 added, 1 updated, 0 removed, 0 unchanged; rebuilt whole, as earlier "
                        "edits had left 1 document out of order\n") != std::string::npos);
  Ran after = edit("An a, once more.", " --json");
  REQUIRE(after.status == 0);
  CHECK(json::parse(after.out)["out_of_order"] == 0);
  CHECK(json::parse(after.out)["rebuilt"] == false);
  // A file that is no corpus: 20 problems, then a count, not hundreds.
  Ran readme =
      run_command(bin("otiose-index") + " --check " + otiose::test::source_path("README.md"));
  CHECK(readme.status == 1);
  CHECK(std::count(readme.err.begin(), readme.err.end(), '\n') == 21);
  CHECK(readme.err.find("more problems (--json lists every one)") != std::string::npos);
}

TEST_CASE("otiose-index --occupations: a bad map names its line, a config without a reference") {
  otiose::test::TempDir dir;
  otiose::test::write_file(dir / "one.jsonl", R"({"slug": "a", "title": "A", "tagline": "An a."})"
                                              "\n");
  otiose::test::write_file(dir / "map.tsv", "a 13-2011.00\na 99-9999.99\n");
  Ran bad = run_command(bin("otiose-index") + " " + (dir / "one.jsonl") + " --index " +
                        (dir / "index") + " --occupations " + (dir / "map.tsv"));
  CHECK(bad.status == 2);
  CHECK(bad.err.find(dir / "map.tsv" + ":2: no occupation 99-9999.99 in ") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "index" / "current"));
  otiose::test::write_file(dir / "t.json", R"({"fields": ["title"]})");
  Ran none =
      run_command(bin("otiose-index") + " " + (dir / "one.jsonl") + " --index " + (dir / "index") +
                  " --config " + (dir / "t.json") + " --occupations " + (dir / "map.tsv"));
  CHECK(none.status == 2);
  CHECK(none.err.find("names no reference occupations") != std::string::npos);
}

TEST_CASE("otiose-import piped into otiose-index - indexes the page, as the help says") {
  otiose::test::TempDir dir;
  std::string page = std::string(OTIOSE_TEST_DATA) + "/pages/seed-page.txt";
  // (A subshell: run_command redirects the standard input of what it runs.)
  Ran piped = run_command("(" + bin("otiose-import") + " " + page +
                          " --tagline 'Oversee the overseers.' | " + bin("otiose-index") +
                          " - --index " + (dir / "index") + " --json)");
  INFO(piped.err);
  REQUIRE(piped.status == 0);
  CHECK(json::parse(piped.out)["specimens"] == 1);
  // Without a tagline the record is refused, and the message says which field.
  Ran bare = run_command("(" + bin("otiose-import") + " " + page + " 2>/dev/null | " +
                         bin("otiose-index") + " - --index " + (dir / "other") + ")");
  CHECK(bare.status == 1);
  CHECK(bare.err.find("-:1: tagline: ") != std::string::npos);
}

TEST_CASE("otiose-import turns the seed page into the bundled record") {
  Ran r = run_command(bin("otiose-import") + " " + std::string(OTIOSE_TEST_DATA) +
                      "/pages/seed-page.txt");
  CHECK(r.status == 0);
  json page = json::parse(r.out);
  json bundled = json::parse(otiose::test::read_file(
      otiose::test::source_path("data/roles/senior-customer-service-manager.json")));
  page["tagline"] = bundled["tagline"];
  CHECK(page == bundled);
}

TEST_CASE("the library serves two threads at once") {
  otiose::Searcher searcher(index());
  std::vector<std::string> first(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = searcher.search(t == 0 ? "strategic oversight" : "sprint retrospective");
        auto rel = searcher.related_text("backlog refinement user stories", 3);
        if (!r.hits.empty())
          first[static_cast<std::size_t>(t)] = r.hits[0].slug + "/" + rel[0].slug;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(first[0].rfind("senior-customer-service-manager/", 0) == 0);
  CHECK_FALSE(first[1].empty());
}

TEST_CASE("an outside CMake project links the installed library") {
  otiose::test::TempDir build;
  Ran configure = run_command("cmake -S " + otiose::test::source_path("tests/consumer") + " -B " +
                              build.path().string() + " -DCMAKE_PREFIX_PATH=" + stage() +
                              " -DCMAKE_BUILD_TYPE=Release");
  INFO(configure.out << configure.err);
  REQUIRE(configure.status == 0);
  Ran compile = run_command("cmake --build " + build.path().string());
  INFO(compile.out << compile.err);
  REQUIRE(compile.status == 0);
  Ran ran = run_command(build / "consumer" + " " + index() + " 'strategic oversight'");
  CHECK(ran.status == 0);
  CHECK(ran.out.rfind("Senior Customer Service Manager\n", 0) == 0);
  Ran pc = run_command("PKG_CONFIG_PATH=" + stage() +
                       "/lib/pkgconfig pkg-config --cflags --libs otiose");
  CHECK(pc.status == 0);
  CHECK(pc.out.find("-lotiose") != std::string::npos);
}

// tfidf.json, its one JSON form, and the specimen text it selects.
#include <otiose/similarity.h>

#include <otiose/error.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <sstream>

#include "base/text.h"
#include "similarity/config_json.h"

namespace otiose {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& file, const std::string& key, const std::string& what) {
  throw Error(ErrorKind::kUsage, file + ": " + key + ": " + what);
}

// The record fields a path may name: "title", "aliases[]", "metrics[].name".
using Emit = void (*)(const Record&, std::string&);

void add(std::string& out, const std::string& s) {
  if (!out.empty()) out += '\n';
  out += s;
}
void add(std::string& out, const std::optional<std::string>& s) {
  if (s) add(out, *s);
}
template <typename T, typename F>
void each(const std::optional<std::vector<T>>& v, std::string& out, F f) {
  if (v)
    for (const auto& x : *v) add(out, f(x));
}

struct FieldPath {
  const char* path;
  Emit emit;
};

// clang-format off
constexpr FieldPath kFieldPaths[] = {
  {"slug", [](const Record& r, std::string& o) { add(o, r.slug); }},
  {"title", [](const Record& r, std::string& o) { add(o, r.title); }},
  {"tagline", [](const Record& r, std::string& o) { add(o, r.tagline); }},
  {"aliases[]", [](const Record& r, std::string& o) { each(r.aliases, o, [](const std::string& s) { return s; }); }},
  {"org_chart.summary", [](const Record& r, std::string& o) { if (r.org_chart) add(o, r.org_chart->summary); }},
  {"org_chart.reports_to[]", [](const Record& r, std::string& o) { if (r.org_chart) for (const auto& s : r.org_chart->reports_to) add(o, s); }},
  {"org_chart.manages[]", [](const Record& r, std::string& o) { if (r.org_chart) for (const auto& s : r.org_chart->manages) add(o, s); }},
  {"habitat[]", [](const Record& r, std::string& o) { each(r.habitat, o, [](const std::string& s) { return s; }); }},
  {"salary.note", [](const Record& r, std::string& o) { if (r.salary) add(o, r.salary->note); }},
  {"salary.quote", [](const Record& r, std::string& o) { if (r.salary) add(o, r.salary->quote); }},
  {"flight_risk.label", [](const Record& r, std::string& o) { if (r.flight_risk) add(o, r.flight_risk->label); }},
  {"flight_risk.diagnosis", [](const Record& r, std::string& o) { if (r.flight_risk) add(o, r.flight_risk->diagnosis); }},
  {"metrics[].name", [](const Record& r, std::string& o) { each(r.metrics, o, [](const NamedItem& x) { return x.name; }); }},
  {"metrics[].description", [](const Record& r, std::string& o) { each(r.metrics, o, [](const NamedItem& x) { return x.description; }); }},
  {"weaponry[].name", [](const Record& r, std::string& o) { each(r.weaponry, o, [](const NamedItem& x) { return x.name; }); }},
  {"weaponry[].description", [](const Record& r, std::string& o) { each(r.weaponry, o, [](const NamedItem& x) { return x.description; }); }},
  {"survival[].when", [](const Record& r, std::string& o) { each(r.survival, o, [](const SurvivalTip& x) { return x.when; }); }},
  {"survival[].advice", [](const Record& r, std::string& o) { each(r.survival, o, [](const SurvivalTip& x) { return x.advice; }); }},
  {"jd_autopsy[].illusion", [](const Record& r, std::string& o) { each(r.jd_autopsy, o, [](const AutopsyPair& x) { return x.illusion; }); }},
  {"jd_autopsy[].translation", [](const Record& r, std::string& o) { each(r.jd_autopsy, o, [](const AutopsyPair& x) { return x.translation; }); }},
  {"day_log[].title", [](const Record& r, std::string& o) { each(r.day_log, o, [](const LogEntry& x) { return x.title; }); }},
  {"day_log[].description", [](const Record& r, std::string& o) { each(r.day_log, o, [](const LogEntry& x) { return x.description; }); }},
  {"burn_ward[].text", [](const Record& r, std::string& o) { each(r.burn_ward, o, [](const Complaint& x) { return x.text; }); }},
  {"burn_ward[].source", [](const Record& r, std::string& o) { if (r.burn_ward) for (const auto& c : *r.burn_ward) add(o, c.source); }},
};
// clang-format on

const FieldPath* find_path(std::string_view path) {
  for (const auto& f : kFieldPaths)
    if (path == f.path) return &f;
  return nullptr;
}

std::string known_paths() {
  std::string out;
  for (const auto& f : kFieldPaths) out += std::string(out.empty() ? "" : ", ") + f.path;
  return out;
}

}  // namespace

TfidfConfig load_tfidf_config(const std::string& path) {
  std::string text = detail::read_file(path);
  // nlohmann's dump (in the messages below) recurses once a level.
  constexpr std::size_t kMaxDepth = 16;
  if (std::size_t depth = detail::json_nesting(text); depth > kMaxDepth)
    bad(path, "(file)",
        "expected a JSON object, got JSON nested " + std::to_string(depth) +
            " levels deep (at most " + std::to_string(kMaxDepth) + ")");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) bad(path, "(file)", "expected a JSON object");
  TfidfConfig c;
  static const std::set<std::string> kKnown = {
      "lowercase", "token_pattern", "stop_words", "sublinear_tf", "smooth_idf", "norm",
      "min_df",    "max_df",        "fields",     "top_k",        "comment",    "occupations"};
  for (const auto& [key, value] : j.items())
    if (!kKnown.count(key)) bad(path, key, "unknown key");
  auto boolean = [&](const char* key, bool& target) {
    if (!j.contains(key)) return;
    if (!j[key].is_boolean()) bad(path, key, "expected true or false, got " + j[key].dump());
    target = j[key].get<bool>();
  };
  boolean("lowercase", c.lowercase);
  boolean("sublinear_tf", c.sublinear_tf);
  boolean("smooth_idf", c.smooth_idf);
  if (j.contains("token_pattern")) {
    if (!j["token_pattern"].is_string() ||
        j["token_pattern"].get<std::string>() != TfidfConfig{}.token_pattern)
      bad(path, "token_pattern",
          "only scikit-learn's default (?u)\\b\\w\\w+\\b is supported, got " +
              j["token_pattern"].dump());
  }
  if (j.contains("norm")) {
    if (j["norm"] != "l2") bad(path, "norm", "only \"l2\" is supported, got " + j["norm"].dump());
  }
  auto df = [&](const char* key, double& value, bool& is_count) {
    if (!j.contains(key)) return;
    const json& v = j[key];
    if (v.is_number_integer() || v.is_number_unsigned()) {
      if (v.get<std::int64_t>() < 0) bad(path, key, "expected a count >= 0, got " + v.dump());
      value = static_cast<double>(v.get<std::int64_t>());
      is_count = true;
    } else if (v.is_number_float()) {
      double p = v.get<double>();
      if (!(p >= 0.0 && p <= 1.0))
        bad(path, key, "expected a proportion 0.0..1.0, got " + v.dump());
      value = p;
      is_count = false;
    } else {
      bad(path, key, "expected an integer count or a proportion, got " + v.dump());
    }
  };
  df("min_df", c.min_df, c.min_df_is_count);
  df("max_df", c.max_df, c.max_df_is_count);
  if (j.contains("top_k")) {
    if (!j["top_k"].is_number_unsigned() || j["top_k"].get<std::uint64_t>() < 1 ||
        j["top_k"].get<std::uint64_t>() > 1000)
      bad(path, "top_k", "expected an integer 1..1000, got " + j["top_k"].dump());
    c.top_k = j["top_k"].get<std::size_t>();
  }
  if (j.contains("stop_words") && !j["stop_words"].is_null()) {
    const json& v = j["stop_words"];
    if (v.is_array()) {
      for (const auto& w : v) {
        if (!w.is_string()) bad(path, "stop_words", "expected strings, got " + w.dump());
        c.stop_words.push_back(w.get<std::string>());
      }
    } else if (v.is_string()) {
      auto file = std::filesystem::path(path).parent_path() / v.get<std::string>();
      std::istringstream in(detail::read_file(file.string()));
      std::string word;
      while (std::getline(in, word)) {
        auto t = detail::trim(word);
        if (!t.empty() && t.front() != '#') c.stop_words.emplace_back(t);
      }
    } else {
      bad(path, "stop_words", "expected a word-list file name, a list, or null");
    }
  }
  if (j.contains("occupations") && !j["occupations"].is_null()) {
    if (!j["occupations"].is_string() || j["occupations"].get<std::string>().empty())
      bad(path, "occupations", "expected a file name, or null");
    c.occupations =
        (std::filesystem::path(path).parent_path() / j["occupations"].get<std::string>()).string();
  }
  if (j.contains("fields")) {
    if (!j["fields"].is_array() || j["fields"].empty())
      bad(path, "fields", "expected a non-empty list of record paths");
    c.fields.clear();
    for (const auto& f : j["fields"]) {
      if (!f.is_string() || !find_path(f.get<std::string>()))
        bad(path, "fields", "unknown record path " + f.dump() + "; known: " + known_paths());
      c.fields.push_back(f.get<std::string>());
    }
  }
  return c;
}

std::string specimen_text(const Record& record, const TfidfConfig& config) {
  std::string out;
  for (const auto& f : config.fields) {
    const FieldPath* p = find_path(f);
    if (!p) throw Error(ErrorKind::kUsage, "unknown record path \"" + f + "\"");
    p->emit(record, out);
  }
  return out;
}

namespace detail {

nlohmann::json config_json(const TfidfConfig& c) {
  nlohmann::json j;
  j["lowercase"] = c.lowercase;
  j["token_pattern"] = c.token_pattern;
  j["stop_words"] = c.stop_words;
  j["sublinear_tf"] = c.sublinear_tf;
  j["smooth_idf"] = c.smooth_idf;
  j["norm"] = c.norm;
  j["min_df"] = c.min_df;
  j["min_df_is_count"] = c.min_df_is_count;
  j["max_df"] = c.max_df;
  j["max_df_is_count"] = c.max_df_is_count;
  j["fields"] = c.fields;
  j["top_k"] = c.top_k;
  return j;
}

TfidfConfig config_from_json(const nlohmann::json& j) {
  TfidfConfig c;
  c.lowercase = j.at("lowercase").get<bool>();
  c.token_pattern = j.at("token_pattern").get<std::string>();
  c.stop_words = j.at("stop_words").get<std::vector<std::string>>();
  c.sublinear_tf = j.at("sublinear_tf").get<bool>();
  c.smooth_idf = j.at("smooth_idf").get<bool>();
  c.norm = j.at("norm").get<std::string>();
  c.min_df = j.at("min_df").get<double>();
  c.min_df_is_count = j.at("min_df_is_count").get<bool>();
  c.max_df = j.at("max_df").get<double>();
  c.max_df_is_count = j.at("max_df_is_count").get<bool>();
  c.fields = j.at("fields").get<std::vector<std::string>>();
  c.top_k = j.at("top_k").get<std::size_t>();
  return c;
}

}  // namespace detail

}  // namespace otiose

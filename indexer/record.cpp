// The record model: JSON in and out, validation, quotes.
#include <otiose/record.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>
#include <optional>
#include <regex>
#include <string>
#include <type_traits>
#include <utility>

#include "base/text.h"
#include "indexer/fast_record.h"

namespace otiose {

namespace detail {

bool valid_slug(std::string_view slug) {
  if (slug.empty() || slug.front() == '-' || slug.back() == '-') return false;
  char previous = 0;
  for (char c : slug) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && previous == '-')) return false;
    previous = c;
  }
  return true;
}

bool valid_clock(std::string_view t) {
  if (t.size() != 5 || t[2] != ':') return false;
  for (std::size_t i : {0u, 1u, 3u, 4u})
    if (t[i] < '0' || t[i] > '9') return false;
  int hours = (t[0] - '0') * 10 + (t[1] - '0');
  int minutes = (t[3] - '0') * 10 + (t[4] - '0');
  return hours <= 24 && minutes <= 59 && !(hours == 24 && minutes != 0);
}

}  // namespace detail

namespace {

using detail::kMaxSlug;
using detail::kMaxSource;
using detail::kMaxText;
using detail::valid_clock;
using detail::valid_slug;

using nlohmann::json;

// The value as the user wrote it, cut short, for "got ..." messages.
std::string shown(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  constexpr std::size_t kMax = 60;
  if (text.size() > kMax) text = detail::utf8_prefix(text, kMax) + "...";
  return text;
}

// Walks one JSON record, filling a Record and collecting every problem.
class Reader {
 public:
  explicit Reader(std::vector<Diagnostic>& out) : out_(out) {}

  void error(const std::string& field, std::string message) {
    Diagnostic d;
    d.field = field;
    d.message = std::move(message);
    out_.push_back(std::move(d));
  }
  void warning(const std::string& field, std::string message) {
    Diagnostic d;
    d.severity = Diagnostic::Severity::kWarning;
    d.field = field;
    d.message = std::move(message);
    out_.push_back(std::move(d));
  }
  void expected(const std::string& field, const char* what, const json& got) {
    error(field, std::string("expected ") + what + ", got " + shown(got));
  }

  std::optional<std::string> string(const json& v, const std::string& field,
                                    bool allow_empty = true, std::size_t max_bytes = kMaxText) {
    if (!v.is_string()) {
      expected(field, "a string", v);
      return std::nullopt;
    }
    const auto& s = v.get_ref<const std::string&>();
    if (!detail::valid_utf8(s)) {
      error(field, "expected UTF-8 text, got invalid UTF-8 bytes");
      return std::nullopt;
    }
    if (s.size() > max_bytes) {
      error(field, "expected at most " + std::to_string(max_bytes) + " bytes of text, got " +
                       std::to_string(s.size()) + " bytes");
      return std::nullopt;
    }
    // Control characters (NUL, ESC, ...) would reach terminals and C
    // strings; tab, line feed and carriage return are text.
    for (std::size_t i = 0; i < s.size(); ++i) {
      auto c = static_cast<unsigned char>(s[i]);
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
        char code[8];
        std::snprintf(code, sizeof code, "U+%04X", c);
        error(field, std::string("expected text without control characters, got ") + code +
                         " at byte " + std::to_string(i));
        return std::nullopt;
      }
    }
    if (!allow_empty && detail::trim(s).empty()) {
      error(field, "expected a non-empty string, got " + shown(v));
      return std::nullopt;
    }
    return s;
  }

  // A nullable string: null stays nullopt.
  std::optional<std::string> nullable_string(const json& v, const std::string& field) {
    if (v.is_null()) return std::nullopt;
    return string(v, field, false);
  }

  std::optional<std::int64_t> integer(const json& v, const std::string& field, std::int64_t lo,
                                      std::int64_t hi, const char* what) {
    if (v.is_number_integer() || v.is_number_unsigned()) {
      if (v.is_number_unsigned() &&
          v.get<std::uint64_t>() >
              static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        expected(field, what, v);
        return std::nullopt;
      }
      auto n = v.get<std::int64_t>();
      if (n < lo || n > hi) {
        expected(field, what, v);
        return std::nullopt;
      }
      return n;
    }
    expected(field, what, v);
    return std::nullopt;
  }

  template <typename T, typename F>
  std::optional<std::vector<T>> array(const json& v, const std::string& field, F&& each) {
    if (!v.is_array()) {
      expected(field, "an array", v);
      return std::nullopt;
    }
    std::vector<T> items;
    bool ok = true;
    for (std::size_t i = 0; i < v.size(); ++i) {
      std::string at = field + "[" + std::to_string(i) + "]";
      std::optional<T> item = each(v[i], at);
      if (item)
        items.push_back(std::move(*item));
      else
        ok = false;
    }
    if (!ok) return std::nullopt;
    return items;
  }

  // Checks `v` is an object with only `known` keys (unknown: warning) and the
  // `required` ones present.
  bool object(const json& v, const std::string& field, std::initializer_list<const char*> known,
              std::initializer_list<const char*> required) {
    if (!v.is_object()) {
      expected(field, "an object", v);
      return false;
    }
    bool ok = true;
    for (const char* key : required) {
      if (!v.contains(key)) {
        error(join(field, key), "required field is missing");
        ok = false;
      }
    }
    for (const auto& item : v.items()) {
      // Not a structured binding: Clang 14 cannot capture one in a lambda.
      const std::string& key = item.key();
      if (std::find_if(known.begin(), known.end(), [&](const char* k) { return key == k; }) ==
          known.end())
        warning(join(field, key), "unknown field (kept, but ignored)");
    }
    return ok;
  }

  static std::string join(const std::string& field, const std::string& key) {
    return field.empty() ? key : field + "." + key;
  }

  std::optional<std::string> text_item(const json& v, const std::string& f) {
    return string(v, f, false);
  }

  std::optional<NamedItem> named(const json& v, const std::string& f) {
    if (!object(v, f, {"name", "description"}, {"name", "description"})) return std::nullopt;
    auto name = string(v["name"], f + ".name", false);
    auto description = string(v["description"], f + ".description", false);
    if (!name || !description) return std::nullopt;
    return NamedItem{*name, *description};
  }

 private:
  std::vector<Diagnostic>& out_;
};

// org_chart: an object of optional fields.
bool read_org_chart(const json& j, Reader& r, Record& rec) {
  if (!j.contains("org_chart")) return true;
  const json& v = j["org_chart"];
  if (r.object(v, "org_chart", {"summary", "reports_to", "manages"}, {})) {
    OrgChart chart;
    bool good = true;
    if (v.contains("summary")) {
      chart.summary = r.nullable_string(v["summary"], "org_chart.summary");
      good &= v["summary"].is_null() || chart.summary.has_value();
    }
    for (auto [key, target] :
         {std::pair{"reports_to", &chart.reports_to}, std::pair{"manages", &chart.manages}}) {
      if (!v.contains(key)) continue;
      auto list = r.array<std::string>(
          v[key], std::string("org_chart.") + key,
          [&](const json& x, const std::string& f) { return r.text_item(x, f); });
      good &= list.has_value();
      if (list) *target = std::move(*list);
    }
    if (good) rec.org_chart = std::move(chart);
    return good;
  }
  return false;
}

// salary: an object of optional fields.
bool read_salary(const json& j, Reader& r, Record& rec) {
  if (!j.contains("salary")) return true;
  const json& v = j["salary"];
  if (r.object(v, "salary", {"average", "low", "high", "currency", "note", "quote"}, {})) {
    Salary s;
    bool good = true;
    constexpr std::int64_t kMaxSalary = 1'000'000'000'000;
    for (auto [key, target] :
         {std::pair{"average", &s.average}, std::pair{"low", &s.low}, std::pair{"high", &s.high}}) {
      if (!v.contains(key) || v[key].is_null()) continue;
      *target = r.integer(v[key], std::string("salary.") + key, 0, kMaxSalary,
                          "a whole, non-negative yearly amount");
      good &= target->has_value();
    }
    if (v.contains("currency") && !v["currency"].is_null()) {
      s.currency = r.string(v["currency"], "salary.currency");
      if (s.currency &&
          (s.currency->size() != 3 || !std::all_of(s.currency->begin(), s.currency->end(),
                                                   [](char c) { return c >= 'A' && c <= 'Z'; }))) {
        r.expected("salary.currency", "a three-letter ISO 4217 code like \"USD\"", v["currency"]);
        s.currency.reset();
      }
      good &= s.currency.has_value();
    }
    for (auto [key, target] : {std::pair{"note", &s.note}, std::pair{"quote", &s.quote}}) {
      if (!v.contains(key) || v[key].is_null()) continue;
      *target = r.string(v[key], std::string("salary.") + key, false);
      good &= target->has_value();
    }
    if (good && s.low && s.high && *s.low > *s.high) {
      r.error("salary.low", "expected low <= high, got low " + std::to_string(*s.low) + " > high " +
                                std::to_string(*s.high));
      good = false;
    }
    if (good && s.average && ((s.low && *s.average < *s.low) || (s.high && *s.average > *s.high))) {
      r.error("salary.average",
              "expected an average within low..high, got " + std::to_string(*s.average));
      good = false;
    }
    if (good) rec.salary = std::move(s);
    return good;
  }
  return false;
}

// flight_risk: an object of optional fields.
bool read_flight_risk(const json& j, Reader& r, Record& rec) {
  if (!j.contains("flight_risk")) return true;
  const json& v = j["flight_risk"];
  if (r.object(v, "flight_risk", {"percent", "label", "diagnosis"}, {})) {
    FlightRisk f;
    bool good = true;
    if (v.contains("percent") && !v["percent"].is_null()) {
      auto p = r.integer(v["percent"], "flight_risk.percent", 0, 100, "an integer 0..100");
      good &= p.has_value();
      if (p) f.percent = static_cast<int>(*p);
    }
    for (auto [key, target] :
         {std::pair{"label", &f.label}, std::pair{"diagnosis", &f.diagnosis}}) {
      if (!v.contains(key) || v[key].is_null()) continue;
      *target = r.string(v[key], std::string("flight_risk.") + key, false);
      good &= target->has_value();
    }
    if (good) rec.flight_risk = std::move(f);
    return good;
  }
  return false;
}

// metrics and weaponry: lists of {name, description}.
bool read_named_lists(const json& j, Reader& r, Record& rec) {
  bool good = true;
  for (auto [key, target] :
       {std::pair{"metrics", &rec.metrics}, std::pair{"weaponry", &rec.weaponry}}) {
    if (!j.contains(key)) continue;
    *target = r.array<NamedItem>(
        j[key], key, [&](const json& v, const std::string& f) { return r.named(v, f); });
    good &= target->has_value();
  }
  return good;
}

// survival: a list of {when, advice}.
bool read_survival(const json& j, Reader& r, Record& rec) {
  if (!j.contains("survival")) return true;
  rec.survival =
      r.array<SurvivalTip>(j["survival"], "survival",
                           [&](const json& v, const std::string& f) -> std::optional<SurvivalTip> {
                             if (!r.object(v, f, {"when", "advice"}, {"when", "advice"}))
                               return std::nullopt;
                             auto when = r.string(v["when"], f + ".when", false);
                             auto advice = r.string(v["advice"], f + ".advice", false);
                             if (!when || !advice) return std::nullopt;
                             return SurvivalTip{*when, *advice};
                           });
  return rec.survival.has_value();
}

// jd_autopsy: a list of {illusion, source, translation}; source null when redacted.
bool read_autopsy(const json& j, Reader& r, Record& rec) {
  if (!j.contains("jd_autopsy")) return true;
  rec.jd_autopsy = r.array<AutopsyPair>(
      j["jd_autopsy"], "jd_autopsy",
      [&](const json& v, const std::string& f) -> std::optional<AutopsyPair> {
        if (!r.object(v, f, {"illusion", "source", "translation"}, {"illusion", "translation"}))
          return std::nullopt;
        auto illusion = r.string(v["illusion"], f + ".illusion", false);
        auto translation = r.string(v["translation"], f + ".translation", false);
        std::optional<std::string> source;
        bool source_ok = true;
        if (v.contains("source") && !v["source"].is_null()) {
          source = r.string(v["source"], f + ".source", false, kMaxSource);
          source_ok = source.has_value();
        }
        if (!illusion || !translation || !source_ok) return std::nullopt;
        return AutopsyPair{*illusion, source, *translation};
      });
  return rec.jd_autopsy.has_value();
}

// day_log: a list of {start, end, title, description}, times "HH:MM".
bool read_day_log(const json& j, Reader& r, Record& rec) {
  if (!j.contains("day_log")) return true;
  rec.day_log = r.array<LogEntry>(
      j["day_log"], "day_log", [&](const json& v, const std::string& f) -> std::optional<LogEntry> {
        if (!r.object(v, f, {"start", "end", "title", "description"},
                      {"start", "end", "title", "description"}))
          return std::nullopt;
        bool good = true;
        LogEntry e;
        for (auto [key, target] : {std::pair{"start", &e.start}, std::pair{"end", &e.end}}) {
          auto s = r.string(v[key], f + "." + key);
          if (s && !valid_clock(*s)) {
            r.expected(f + "." + key, "a time \"HH:MM\"", v[key]);
            s.reset();
          }
          good &= s.has_value();
          if (s) *target = *s;
        }
        if (good && e.end < e.start) {
          r.error(f + ".end",
                  "expected an end after the start " + e.start + ", got \"" + e.end + "\"");
          good = false;
        }
        auto title = r.string(v["title"], f + ".title", false);
        auto description = r.string(v["description"], f + ".description", false);
        if (!good || !title || !description) return std::nullopt;
        e.title = *title;
        e.description = *description;
        return e;
      });
  return rec.day_log.has_value();
}

// burn_ward: a list of {text, source}.
bool read_burn_ward(const json& j, Reader& r, Record& rec) {
  if (!j.contains("burn_ward")) return true;
  rec.burn_ward =
      r.array<Complaint>(j["burn_ward"], "burn_ward",
                         [&](const json& v, const std::string& f) -> std::optional<Complaint> {
                           if (!r.object(v, f, {"text", "source"}, {"text"})) return std::nullopt;
                           auto text = r.string(v["text"], f + ".text", false);
                           std::optional<std::string> source;
                           bool source_ok = true;
                           if (v.contains("source") && !v["source"].is_null()) {
                             source = r.string(v["source"], f + ".source", false, kMaxSource);
                             source_ok = source.has_value();
                           }
                           if (!text || !source_ok) return std::nullopt;
                           return Complaint{*text, source};
                         });
  return rec.burn_ward.has_value();
}

// related: the published cards, as the page shows them.
bool read_related(const json& j, Reader& r, Record& rec) {
  if (!j.contains("related")) return true;
  rec.related = r.array<PublishedRelated>(
      j["related"], "related",
      [&](const json& v, const std::string& f) -> std::optional<PublishedRelated> {
        if (!r.object(v, f, {"title", "slug", "match", "tagline"}, {"title", "slug", "match"}))
          return std::nullopt;
        PublishedRelated p;
        auto title = r.string(v["title"], f + ".title", false);
        auto slug = r.string(v["slug"], f + ".slug", true, kMaxSlug);
        if (slug && !valid_slug(*slug)) {
          r.expected(f + ".slug", "lower-case words joined by '-'", v["slug"]);
          slug.reset();
        }
        auto match = r.integer(v["match"], f + ".match", 0, 100, "an integer 0..100");
        std::optional<std::string> tagline = std::string();
        if (v.contains("tagline") && !v["tagline"].is_null())
          tagline = r.string(v["tagline"], f + ".tagline");
        if (!title || !slug || !match || !tagline) return std::nullopt;
        p.title = *title;
        p.slug = *slug;
        p.match = static_cast<int>(*match);
        p.tagline = *tagline;
        return p;
      });
  return rec.related.has_value();
}

// A record from its JSON: the required fields, then each section in
// SCHEMA.md's order; `ok` is false when any field was bad (each one
// reported).
Record read_record(const json& j, Reader& r, bool& ok) {
  Record rec;
  ok = true;
  auto fail = [&](bool good) {
    if (!good) ok = false;
  };
  if (!j.is_object()) {
    r.expected("", "a JSON object (one record)", j);
    ok = false;
    return rec;
  }
  static const char* const kKnown[] = {"slug",      "title",     "tagline",  "aliases",
                                       "org_chart", "habitat",   "salary",   "flight_risk",
                                       "metrics",   "weaponry",  "survival", "jd_autopsy",
                                       "day_log",   "burn_ward", "related"};
  for (const char* key : {"slug", "title", "tagline"}) {
    if (!j.contains(key)) {
      r.error(key, "required field is missing");
      ok = false;
    }
  }
  for (const auto& item : j.items()) {
    const std::string& key = item.key();  // (Clang 14 cannot capture a structured binding)
    if (std::find_if(std::begin(kKnown), std::end(kKnown),
                     [&](const char* k) { return key == k; }) != std::end(kKnown))
      continue;
    r.warning(key, "unknown top-level field (kept for the round trip)");
    rec.extra[key] = item.value().dump(-1, ' ', false, json::error_handler_t::replace);
  }

  if (j.contains("slug")) {
    auto slug = r.string(j["slug"], "slug", true, kMaxSlug);
    if (slug && !valid_slug(*slug)) {
      r.expected("slug", "lower-case words joined by '-'", j["slug"]);
      slug.reset();
    }
    fail(slug.has_value());
    if (slug) rec.slug = *slug;
  }
  for (auto [key, target] : {std::pair{"title", &rec.title}, std::pair{"tagline", &rec.tagline}}) {
    if (!j.contains(key)) continue;
    auto s = r.string(j[key], key, false);
    fail(s.has_value());
    if (s) *target = *s;
  }

  auto string_list = [&](const char* key, std::optional<std::vector<std::string>>& target) {
    if (!j.contains(key)) return;
    target = r.array<std::string>(
        j[key], key, [&](const json& v, const std::string& f) { return r.text_item(v, f); });
    fail(target.has_value());
  };
  string_list("aliases", rec.aliases);
  string_list("habitat", rec.habitat);

  ok &= read_org_chart(j, r, rec);
  ok &= read_salary(j, r, rec);
  ok &= read_flight_risk(j, r, rec);
  ok &= read_named_lists(j, r, rec);
  ok &= read_survival(j, r, rec);
  ok &= read_autopsy(j, r, rec);
  ok &= read_day_log(j, r, rec);
  ok &= read_burn_ward(j, r, rec);
  ok &= read_related(j, r, rec);
  return rec;
}

}  // namespace

std::string Diagnostic::to_string() const {
  std::string out = file.empty() ? std::string("<input>") : file;
  if (line != 0) out += ":" + std::to_string(line);
  if (column != 0) out += ":" + std::to_string(column);
  out += ": ";
  if (severity == Severity::kWarning) out += "warning: ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

ParsedRecord parse_record(std::string_view json_text, std::string_view file, std::size_t line) {
  ParsedRecord result;
  auto stamp = [&](std::size_t first) {
    for (std::size_t i = first; i < result.diagnostics.size(); ++i) {
      result.diagnostics[i].file = std::string(file);
      if (result.diagnostics[i].line == 0) result.diagnostics[i].line = line;
    }
  };
  json j;
  try {
    // nlohmann's lexer takes a NUL byte for the end of the input and would
    // silently drop whatever follows it; JSON never holds a raw one.
    if (auto nul = json_text.find('\0'); nul != std::string_view::npos) {
      Diagnostic d;
      auto [nul_line, nul_column] = detail::line_column(json_text, nul + 1);
      d.line = line != 0 ? line : nul_line;
      d.column = nul_column;
      d.message =
          "malformed JSON: a NUL byte (JSON text never holds one; inside a string, write "
          "\\u0000 if you must)";
      result.diagnostics.push_back(std::move(d));
      stamp(0);
      return result;
    }
    // Depth is bounded by nlohmann's recursive dump and copy; refuse
    // pathological nesting before it gets there.
    std::size_t max_depth = detail::json_nesting(json_text);
    constexpr std::size_t kMaxDepth = 64;
    if (max_depth > kMaxDepth) {
      Diagnostic d;
      d.message = "malformed record: JSON nested " + std::to_string(max_depth) +
                  " levels deep (at most " + std::to_string(kMaxDepth) + ")";
      result.diagnostics.push_back(std::move(d));
      stamp(0);
      return result;
    }
    j = json::parse(json_text.begin(), json_text.end());
  } catch (const json::parse_error& e) {
    Diagnostic d;
    auto [err_line, err_column] = detail::line_column(json_text, e.byte);
    d.line = line != 0 ? line : err_line;
    d.column = err_column;
    std::string what = e.what();
    // nlohmann's text: "[json.exception.parse_error.101] parse error at line 1,
    // column 5: syntax error while parsing ...": keep the part after the position.
    auto colon = what.find(": ", what.find("parse error"));
    // nlohmann quotes what it last read, bad bytes and all.
    d.message = detail::to_valid_utf8("malformed JSON: " +
                                      (colon == std::string::npos ? what : what.substr(colon + 2)));
    result.diagnostics.push_back(std::move(d));
    stamp(0);
    return result;
  } catch (const json::exception& e) {
    // A number too large for a double (1e400) is out_of_range.406, not a
    // parse_error, and carries no position: point at the number's text.
    Diagnostic d;
    std::string what = e.what();
    auto quote = what.find('\'');
    std::size_t at = std::string_view::npos;
    if (quote != std::string::npos) {
      std::string token = what.substr(quote + 1, what.rfind('\'') - quote - 1);
      if (!token.empty()) at = json_text.find(token);
    }
    auto [err_line, err_column] =
        detail::line_column(json_text, at == std::string_view::npos ? 0 : at + 1);
    d.line = line != 0 ? line : err_line;
    d.column = at == std::string_view::npos ? 0 : err_column;
    auto bracket = what.find("] ");
    d.message =
        "malformed JSON: " + (bracket == std::string::npos ? what : what.substr(bracket + 2)) +
        " (out of range for a number)";
    result.diagnostics.push_back(std::move(d));
    stamp(0);
    return result;
  }
  Reader reader(result.diagnostics);
  bool ok = true;
  Record rec = read_record(j, reader, ok);
  if (ok) {
    auto more = validate(rec);
    for (auto& d : more) {
      if (d.is_error()) ok = false;
      result.diagnostics.push_back(std::move(d));
    }
  }
  stamp(0);
  if (ok) result.record = std::move(rec);
  return result;
}

std::vector<Diagnostic> validate(const Record& rec) {
  std::vector<Diagnostic> out;
  auto error = [&](std::string field, std::string message) {
    Diagnostic d;
    d.field = std::move(field);
    d.message = std::move(message);
    out.push_back(std::move(d));
  };
  if (!valid_slug(rec.slug))
    error("slug", "expected lower-case words joined by '-', got \"" + rec.slug + "\"");
  if (detail::trim(rec.title).empty()) error("title", "expected a non-empty string");
  if (detail::trim(rec.tagline).empty()) error("tagline", "expected a non-empty string");
  if (rec.flight_risk && rec.flight_risk->percent &&
      (*rec.flight_risk->percent < 0 || *rec.flight_risk->percent > 100))
    error("flight_risk.percent",
          "expected an integer 0..100, got " + std::to_string(*rec.flight_risk->percent));
  if (rec.salary) {
    for (auto [key, value] :
         {std::pair{"average", rec.salary->average}, std::pair{"low", rec.salary->low},
          std::pair{"high", rec.salary->high}})
      if (value && *value < 0)
        error(std::string("salary.") + key,
              "expected a whole, non-negative yearly amount, got " + std::to_string(*value));
  }
  if (rec.related) {
    for (std::size_t i = 0; i < rec.related->size(); ++i) {
      const auto& p = (*rec.related)[i];
      if (p.slug == rec.slug)
        error("related[" + std::to_string(i) + "].slug",
              "expected another specimen, got the record's own slug");
    }
  }
  return out;
}

namespace {

// Compact JSON written straight from a Record: the bytes nlohmann's
// dump(-1) writes for the ordered_json to_json() builds (tests compare the
// two), without building it. An indexer hashes and stores every record's
// compact JSON, and building the value cost more than the rest of a
// one-record edit's plan. Gives up (ok() false) on what only nlohmann's
// path handles: invalid UTF-8 (replaced there) and extra keys.
class CompactJson {
 public:
  bool ok() const { return ok_; }
  std::string take() { return std::move(out_); }

  void begin_object() {
    prefix();
    out_ += '{';
    first_.push_back(true);
  }
  void end_object() {
    out_ += '}';
    first_.pop_back();
  }
  void begin_array() {
    prefix();
    out_ += '[';
    first_.push_back(true);
  }
  void end_array() {
    out_ += ']';
    first_.pop_back();
  }
  void key(std::string_view k) {
    prefix();
    quoted(k);
    out_ += ':';
    after_key_ = true;
  }
  void string(std::string_view s) {
    prefix();
    quoted(s);
  }
  void string_or_null(const std::optional<std::string>& s) {
    if (s) {
      string(*s);
    } else {
      prefix();
      out_ += "null";
    }
  }
  void number(std::int64_t v) {
    prefix();
    out_ += std::to_string(v);
  }
  void strings(const std::vector<std::string>& list) {
    begin_array();
    for (const auto& s : list) string(s);
    end_array();
  }

 private:
  // A comma before every value or key but the first of its container; none
  // between a key and its value.
  void prefix() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
  // nlohmann's escaping with ensure_ascii off: the two-character escapes,
  // \u00xx (lower-case hex) for the other control characters, every other
  // byte as it is.
  void quoted(std::string_view s) {
    if (!detail::valid_utf8(s)) ok_ = false;
    out_ += '"';
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\u%04x", c);
          out_ += hex;
        }
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_ += '"';
  }

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
  bool ok_ = true;
};

// to_json(rec, -1) by CompactJson, in the key order below; nullopt when it
// gives up.
std::optional<std::string> compact_json(const Record& rec) {
  if (!rec.extra.empty()) return std::nullopt;
  CompactJson w;
  // A key and its value; an absent optional writes neither.
  auto field = [&](const char* key, const auto& value) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, std::string>) {
      w.key(key);
      w.string(value);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      w.key(key);
      w.strings(value);
    } else if constexpr (std::is_integral_v<T>) {
      w.key(key);
      w.number(value);
    } else if (value) {
      w.key(key);
      if constexpr (std::is_same_v<T, std::optional<std::string>>)
        w.string(*value);
      else if constexpr (std::is_same_v<T, std::optional<std::vector<std::string>>>)
        w.strings(*value);
      else
        w.number(*value);
    }
  };
  // A string key whose absent value is written as null.
  auto nullable = [&](const char* key, const std::optional<std::string>& value) {
    w.key(key);
    w.string_or_null(value);
  };
  // An array of objects, each written by `write`.
  auto objects = [&](const char* key, const auto& items, auto write) {
    if (!items) return;
    w.key(key);
    w.begin_array();
    for (const auto& item : *items) {
      w.begin_object();
      write(item);
      w.end_object();
    }
    w.end_array();
  };
  auto named = [&](const NamedItem& i) {
    field("name", i.name);
    field("description", i.description);
  };

  w.begin_object();
  field("slug", rec.slug);
  field("title", rec.title);
  field("tagline", rec.tagline);
  field("aliases", rec.aliases);
  if (rec.org_chart) {
    w.key("org_chart");
    w.begin_object();
    field("summary", rec.org_chart->summary);
    field("reports_to", rec.org_chart->reports_to);
    field("manages", rec.org_chart->manages);
    w.end_object();
  }
  field("habitat", rec.habitat);
  if (rec.salary) {
    w.key("salary");
    w.begin_object();
    field("average", rec.salary->average);
    field("low", rec.salary->low);
    field("high", rec.salary->high);
    field("currency", rec.salary->currency);
    field("note", rec.salary->note);
    field("quote", rec.salary->quote);
    w.end_object();
  }
  if (rec.flight_risk) {
    w.key("flight_risk");
    w.begin_object();
    field("percent", rec.flight_risk->percent);
    field("label", rec.flight_risk->label);
    field("diagnosis", rec.flight_risk->diagnosis);
    w.end_object();
  }
  objects("metrics", rec.metrics, named);
  objects("weaponry", rec.weaponry, named);
  objects("survival", rec.survival, [&](const SurvivalTip& t) {
    field("when", t.when);
    field("advice", t.advice);
  });
  objects("jd_autopsy", rec.jd_autopsy, [&](const AutopsyPair& p) {
    field("illusion", p.illusion);
    nullable("source", p.source);
    field("translation", p.translation);
  });
  objects("day_log", rec.day_log, [&](const LogEntry& e) {
    field("start", e.start);
    field("end", e.end);
    field("title", e.title);
    field("description", e.description);
  });
  objects("burn_ward", rec.burn_ward, [&](const Complaint& c) {
    field("text", c.text);
    nullable("source", c.source);
  });
  objects("related", rec.related, [&](const PublishedRelated& p) {
    field("title", p.title);
    field("slug", p.slug);
    field("match", p.match);
    field("tagline", p.tagline);
  });
  w.end_object();
  if (!w.ok()) return std::nullopt;
  return w.take();
}

}  // namespace

std::string to_json(const Record& rec, int indent) {
  if (indent < 0)
    if (auto compact = compact_json(rec)) return std::move(*compact);
  // ordered_json keeps SCHEMA.md's key order.
  nlohmann::ordered_json o;
  o["slug"] = rec.slug;
  o["title"] = rec.title;
  o["tagline"] = rec.tagline;
  if (rec.aliases) o["aliases"] = *rec.aliases;
  if (rec.org_chart) {
    nlohmann::ordered_json c = nlohmann::ordered_json::object();
    if (rec.org_chart->summary) c["summary"] = *rec.org_chart->summary;
    c["reports_to"] = rec.org_chart->reports_to;
    c["manages"] = rec.org_chart->manages;
    o["org_chart"] = std::move(c);
  }
  if (rec.habitat) o["habitat"] = *rec.habitat;
  if (rec.salary) {
    nlohmann::ordered_json s = nlohmann::ordered_json::object();
    if (rec.salary->average) s["average"] = *rec.salary->average;
    if (rec.salary->low) s["low"] = *rec.salary->low;
    if (rec.salary->high) s["high"] = *rec.salary->high;
    if (rec.salary->currency) s["currency"] = *rec.salary->currency;
    if (rec.salary->note) s["note"] = *rec.salary->note;
    if (rec.salary->quote) s["quote"] = *rec.salary->quote;
    o["salary"] = std::move(s);
  }
  if (rec.flight_risk) {
    nlohmann::ordered_json f = nlohmann::ordered_json::object();
    if (rec.flight_risk->percent) f["percent"] = *rec.flight_risk->percent;
    if (rec.flight_risk->label) f["label"] = *rec.flight_risk->label;
    if (rec.flight_risk->diagnosis) f["diagnosis"] = *rec.flight_risk->diagnosis;
    o["flight_risk"] = std::move(f);
  }
  auto named = [](const std::vector<NamedItem>& items) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& i : items) a.push_back({{"name", i.name}, {"description", i.description}});
    return a;
  };
  if (rec.metrics) o["metrics"] = named(*rec.metrics);
  if (rec.weaponry) o["weaponry"] = named(*rec.weaponry);
  if (rec.survival) {
    auto& a = o["survival"] = nlohmann::ordered_json::array();
    for (const auto& t : *rec.survival) a.push_back({{"when", t.when}, {"advice", t.advice}});
  }
  if (rec.jd_autopsy) {
    auto& a = o["jd_autopsy"] = nlohmann::ordered_json::array();
    for (const auto& p : *rec.jd_autopsy) {
      nlohmann::ordered_json e;
      e["illusion"] = p.illusion;
      e["source"] = p.source ? nlohmann::ordered_json(*p.source) : nlohmann::ordered_json(nullptr);
      e["translation"] = p.translation;
      a.push_back(std::move(e));
    }
  }
  if (rec.day_log) {
    auto& a = o["day_log"] = nlohmann::ordered_json::array();
    for (const auto& e : *rec.day_log) {
      nlohmann::ordered_json x;
      x["start"] = e.start;
      x["end"] = e.end;
      x["title"] = e.title;
      x["description"] = e.description;
      a.push_back(std::move(x));
    }
  }
  if (rec.burn_ward) {
    auto& a = o["burn_ward"] = nlohmann::ordered_json::array();
    for (const auto& c : *rec.burn_ward) {
      nlohmann::ordered_json x;
      x["text"] = c.text;
      x["source"] = c.source ? nlohmann::ordered_json(*c.source) : nlohmann::ordered_json(nullptr);
      a.push_back(std::move(x));
    }
  }
  if (rec.related) {
    auto& a = o["related"] = nlohmann::ordered_json::array();
    for (const auto& p : *rec.related) {
      nlohmann::ordered_json x;
      x["title"] = p.title;
      x["slug"] = p.slug;
      x["match"] = p.match;
      x["tagline"] = p.tagline;
      a.push_back(std::move(x));
    }
  }
  for (const auto& [key, text] : rec.extra)
    o[key] = nlohmann::ordered_json::parse(text, nullptr, false);
  return o.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::vector<Quote> quotes(const Record& rec) {
  std::vector<Quote> out;
  auto add = [&](const char* kind, int n, const std::string& text,
                 std::optional<std::string> source) {
    Quote q;
    q.kind = kind;
    q.n = n;
    q.id = rec.slug + "#" + kind + "-" + std::to_string(n);
    q.slug = rec.slug;
    q.text = text;
    q.source = std::move(source);
    out.push_back(std::move(q));
  };
  if (rec.burn_ward) {
    int n = 0;
    for (const auto& c : *rec.burn_ward) add("complaint", ++n, c.text, c.source);
  }
  if (rec.jd_autopsy) {
    int n = 0;
    for (const auto& p : *rec.jd_autopsy) add("illusion", ++n, p.illusion, p.source);
    n = 0;
    for (const auto& p : *rec.jd_autopsy) add("translation", ++n, p.translation, std::nullopt);
  }
  if (rec.salary && rec.salary->quote) add("salary", 1, *rec.salary->quote, std::nullopt);
  if (rec.flight_risk && rec.flight_risk->diagnosis)
    add("diagnosis", 1, *rec.flight_risk->diagnosis, std::nullopt);
  return out;
}

}  // namespace otiose

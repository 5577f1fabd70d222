// Reading plainly well-formed records with simdjson; see fast_record.h.
//
// The rules are parse_record's (record.cpp, Reader and read_record), each
// one as a test that gives up: whatever parse_record would report, or
// reads differently (a duplicate key: nlohmann keeps the last), returns
// nullopt, and parse_record then reads the text again and says why.
#include "indexer/fast_record.h"

#include <simdjson.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>

#include "base/text.h"

namespace otiose::detail {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// parse_record's reading rules, in order. `escaped` says the text has a
// backslash or a DEL: only then can a string hold a control character or,
// from a \u escape, what is not UTF-8 (simdjson has checked the bytes).
class PlainReader {
 public:
  explicit PlainReader(bool escaped) : escaped_(escaped) {}

  // Reader::string: a string of valid UTF-8, at most `max_bytes`, no control
  // characters but tab, line feed and carriage return, non-blank unless
  // `allow_empty`.
  bool text(element v, std::string& out, bool allow_empty = false,
            std::size_t max_bytes = kMaxText) {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) return false;
    if (s.size() > max_bytes) return false;
    if (escaped_) {
      if (!valid_utf8(s)) return false;
      for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return false;
      }
    }
    if (!allow_empty && trim(s).empty()) return false;
    out.assign(s);
    return true;
  }

  // A string that may be null (left nullopt), as an optional field's value.
  bool text_or_null(element v, std::optional<std::string>& out, std::size_t max_bytes = kMaxText) {
    if (v.is_null()) return true;
    std::string s;
    if (!text(v, s, false, max_bytes)) return false;
    out = std::move(s);
    return true;
  }

  // Reader::integer: an integer (not 1.0, not 1e2) in lo..hi.
  bool integer(element v, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
    if (v.type() != element_type::INT64) return false;  // (an unsigned one is over INT64_MAX)
    out = int64_t(v);
    return out >= lo && out <= hi;
  }

  // The fields of object `v`, by their place in `known`: every key known,
  // none twice, every `required` one present. Absent ones stay empty.
  template <std::size_t N>
  bool fields(element v, const char* const (&known)[N], std::initializer_list<std::size_t> required,
              std::optional<element> (&out)[N]) {
    object o;
    if (v.get_object().get(o) != simdjson::SUCCESS) return false;
    for (auto field : o) {
      std::size_t i = 0;
      while (i < N && field.key != known[i]) ++i;
      if (i == N || out[i]) return false;  // unknown: a warning; twice: nlohmann keeps the last
      out[i] = field.value;
    }
    for (std::size_t i : required)
      if (!out[i]) return false;
    return true;
  }

  // The list in `v`, each item read by the member function `Each`.
  template <auto Each, typename T>
  bool list(element v, std::vector<T>& out) {
    array a;
    if (v.get_array().get(a) != simdjson::SUCCESS) return false;
    out.reserve(a.size());
    for (element item : a) {
      T t;
      if (!(this->*Each)(item, t)) return false;
      out.push_back(std::move(t));
    }
    return true;
  }

  template <auto Each, typename T>
  bool optional_list(const std::optional<element>& v, std::optional<std::vector<T>>& out) {
    if (!v) return true;
    out.emplace();
    return list<Each>(*v, *out);
  }

  bool text_item(element v, std::string& out) { return text(v, out); }

  bool named(element v, NamedItem& out) {
    static const char* const kKeys[] = {"name", "description"};
    std::optional<element> f[2];
    return fields(v, kKeys, {0, 1}, f) && text(*f[0], out.name) && text(*f[1], out.description);
  }

  bool org_chart(element v, OrgChart& out) {
    static const char* const kKeys[] = {"summary", "reports_to", "manages"};
    std::optional<element> f[3];
    if (!fields(v, kKeys, {}, f)) return false;
    if (f[0] && !text_or_null(*f[0], out.summary)) return false;
    if (f[1] && !list<&PlainReader::text_item>(*f[1], out.reports_to)) return false;
    return !f[2] || list<&PlainReader::text_item>(*f[2], out.manages);
  }

  bool salary(element v, Salary& out) {
    static const char* const kKeys[] = {"average", "low", "high", "currency", "note", "quote"};
    constexpr std::int64_t kMaxSalary = 1'000'000'000'000;
    std::optional<element> f[6];
    if (!fields(v, kKeys, {}, f)) return false;
    std::optional<std::int64_t>* amounts[] = {&out.average, &out.low, &out.high};
    for (std::size_t i = 0; i < 3; ++i) {
      if (!f[i] || f[i]->is_null()) continue;
      std::int64_t n;
      if (!integer(*f[i], 0, kMaxSalary, n)) return false;
      *amounts[i] = n;
    }
    if (f[3] && !f[3]->is_null()) {
      std::string c;
      if (!text(*f[3], c, true) || c.size() != 3) return false;
      for (char ch : c)
        if (ch < 'A' || ch > 'Z') return false;
      out.currency = std::move(c);
    }
    if (f[4] && !text_or_null(*f[4], out.note)) return false;
    if (f[5] && !text_or_null(*f[5], out.quote)) return false;
    if (out.low && out.high && *out.low > *out.high) return false;
    return !(out.average &&
             ((out.low && *out.average < *out.low) || (out.high && *out.average > *out.high)));
  }

  bool flight_risk(element v, FlightRisk& out) {
    static const char* const kKeys[] = {"percent", "label", "diagnosis"};
    std::optional<element> f[3];
    if (!fields(v, kKeys, {}, f)) return false;
    if (f[0] && !f[0]->is_null()) {
      std::int64_t p;
      if (!integer(*f[0], 0, 100, p)) return false;
      out.percent = static_cast<int>(p);
    }
    if (f[1] && !text_or_null(*f[1], out.label)) return false;
    return !f[2] || text_or_null(*f[2], out.diagnosis);
  }

  bool survival(element v, SurvivalTip& out) {
    static const char* const kKeys[] = {"when", "advice"};
    std::optional<element> f[2];
    return fields(v, kKeys, {0, 1}, f) && text(*f[0], out.when) && text(*f[1], out.advice);
  }

  bool autopsy(element v, AutopsyPair& out) {
    static const char* const kKeys[] = {"illusion", "source", "translation"};
    std::optional<element> f[3];
    return fields(v, kKeys, {0, 2}, f) && text(*f[0], out.illusion) &&
           text(*f[2], out.translation) && (!f[1] || text_or_null(*f[1], out.source, kMaxSource));
  }

  bool log_entry(element v, LogEntry& out) {
    static const char* const kKeys[] = {"start", "end", "title", "description"};
    std::optional<element> f[4];
    return fields(v, kKeys, {0, 1, 2, 3}, f) && text(*f[0], out.start, true) &&
           valid_clock(out.start) && text(*f[1], out.end, true) && valid_clock(out.end) &&
           !(out.end < out.start) && text(*f[2], out.title) && text(*f[3], out.description);
  }

  bool complaint(element v, Complaint& out) {
    static const char* const kKeys[] = {"text", "source"};
    std::optional<element> f[2];
    return fields(v, kKeys, {0}, f) && text(*f[0], out.text) &&
           (!f[1] || text_or_null(*f[1], out.source, kMaxSource));
  }

  bool related(element v, PublishedRelated& out) {
    static const char* const kKeys[] = {"title", "slug", "match", "tagline"};
    std::optional<element> f[4];
    std::int64_t match;
    if (!fields(v, kKeys, {0, 1, 2}, f) || !text(*f[0], out.title) ||
        !text(*f[1], out.slug, true, kMaxSlug) || !valid_slug(out.slug) ||
        !integer(*f[2], 0, 100, match))
      return false;
    out.match = static_cast<int>(match);
    return !f[3] || f[3]->is_null() || text(*f[3], out.tagline, true);
  }

  template <auto Read, typename T>
  bool section(const std::optional<element>& v, std::optional<T>& out) {
    if (!v) return true;
    out.emplace();
    return (this->*Read)(*v, *out);
  }

  bool record(element v, Record& rec) {
    static const char* const kKeys[] = {"slug",      "title",     "tagline",  "aliases",
                                        "org_chart", "habitat",   "salary",   "flight_risk",
                                        "metrics",   "weaponry",  "survival", "jd_autopsy",
                                        "day_log",   "burn_ward", "related"};
    std::optional<element> f[15];
    return fields(v, kKeys, {0, 1, 2}, f) && text(*f[0], rec.slug, true, kMaxSlug) &&
           valid_slug(rec.slug) && text(*f[1], rec.title) && text(*f[2], rec.tagline) &&
           optional_list<&PlainReader::text_item>(f[3], rec.aliases) &&
           section<&PlainReader::org_chart>(f[4], rec.org_chart) &&
           optional_list<&PlainReader::text_item>(f[5], rec.habitat) &&
           section<&PlainReader::salary>(f[6], rec.salary) &&
           section<&PlainReader::flight_risk>(f[7], rec.flight_risk) &&
           optional_list<&PlainReader::named>(f[8], rec.metrics) &&
           optional_list<&PlainReader::named>(f[9], rec.weaponry) &&
           optional_list<&PlainReader::survival>(f[10], rec.survival) &&
           optional_list<&PlainReader::autopsy>(f[11], rec.jd_autopsy) &&
           optional_list<&PlainReader::log_entry>(f[12], rec.day_log) &&
           optional_list<&PlainReader::complaint>(f[13], rec.burn_ward) &&
           optional_list<&PlainReader::related>(f[14], rec.related);
  }

 private:
  bool escaped_;
};

}  // namespace

std::optional<Record> read_plain_record(std::string_view json_text) {
  thread_local simdjson::dom::parser parser;
  element root;
  if (parser.parse(json_text.data(), json_text.size()).get(root) != simdjson::SUCCESS)
    return std::nullopt;
  Record rec;
  // (Two memchr()s: find_first_of() looks each byte up in its set.)
  PlainReader reader(json_text.find('\\') != std::string_view::npos ||
                     json_text.find('\x7f') != std::string_view::npos);
  if (!reader.record(root, rec)) return std::nullopt;
  return rec;
}

ParsedRecord parse_corpus_record(std::string_view json_text, std::string_view file,
                                 std::size_t line) {
  std::optional<Record> rec = read_plain_record(json_text);
  if (!rec) return parse_record(json_text, file, line);
  ParsedRecord out;
  out.diagnostics = validate(*rec);
  bool ok = true;
  for (auto& d : out.diagnostics) {
    ok &= !d.is_error();
    d.file = std::string(file);
    if (d.line == 0) d.line = line;
  }
  if (ok) out.record = std::move(rec);
  return out;
}

}  // namespace otiose::detail

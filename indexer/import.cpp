// The page importer: published page dumps (the owner's seed format) to records.
//
// A dump is a sequence of lines: a header (FILE RECORD:, a question, the
// title), then numbered sections "[NN] NAME". Sections are recognised by
// name, not number, so their order may vary and any may be missing. The dump
// glues some list items together; each section's reader undoes that.
#include <otiose/record.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/text.h"

namespace otiose {
namespace {

struct Line {
  std::size_t number;
  std::string text;  // trimmed
};

enum class Section {
  kOrgChart,
  kHabitat,
  kSalary,
  kFlightRisk,
  kMetrics,
  kWeaponry,
  kSurvival,
  kAutopsy,
  kDayLog,
  kBurnWard,
  kRelated,
  kUnknown,
};

Section classify(const std::string& name) {
  auto has = [&](const char* word) { return name.find(word) != std::string::npos; };
  if (has("ORG-CHART") || has("ORG CHART")) return Section::kOrgChart;
  if (has("HABITAT")) return Section::kHabitat;
  if (has("SALARY")) return Section::kSalary;
  if (has("FLIGHT RISK")) return Section::kFlightRisk;
  if (has("METRICS")) return Section::kMetrics;
  if (has("WEAPONRY")) return Section::kWeaponry;
  if (has("SURVIVAL")) return Section::kSurvival;
  if (has("AUTOPSY")) return Section::kAutopsy;
  if (has("LOG")) return Section::kDayLog;
  if (has("BURN WARD")) return Section::kBurnWard;
  if (has("RELATED")) return Section::kRelated;
  return Section::kUnknown;
}

// Words that are written with an inner capital and must not be split as if
// two glued list items met there.
constexpr const char* kCamelWords[] = {
    "DevOps",     "DevSecOps",   "DevRel",     "FinOps",     "SecOps",     "MLOps",
    "DataOps",    "RevOps",      "SalesOps",   "BizOps",     "GitOps",     "AIOps",
    "PowerPoint", "LinkedIn",    "GitHub",     "GitLab",     "JavaScript", "TypeScript",
    "YouTube",    "HubSpot",     "ServiceNow", "SharePoint", "QuickBooks", "NetSuite",
    "WordPress",  "PagerDuty",   "OpenAI",     "FinTech",    "EdTech",     "HealthTech",
    "PropTech",   "InsurTech",   "RegTech",    "MarTech",    "SaaS",       "PaaS",
    "IaaS",       "McKinsey",    "PhD",        "iOS",        "macOS",      "eCommerce",
    "DataOps",    "ScrumMaster", "SAFe",
};

// Splits a line of list items glued together: a lower-case letter or a
// closing bracket directly followed by an upper-case letter starts a new item.
std::vector<std::string> split_glued(const std::string& line) {
  std::vector<std::string> items;
  std::size_t start = 0;
  auto inside_camel_word = [&](std::size_t boundary) {
    for (const char* word : kCamelWords) {
      std::string w(word);
      for (std::size_t k = 1; k < w.size(); ++k) {
        // Is `boundary` at offset k of an occurrence of w?
        if (boundary < k) continue;
        std::size_t at = boundary - k;
        if (line.compare(at, w.size(), w) == 0) return true;
      }
    }
    return false;
  };
  for (std::size_t i = 1; i < line.size(); ++i) {
    char prev = line[i - 1], c = line[i];
    bool boundary = std::isupper(static_cast<unsigned char>(c)) &&
                    (std::islower(static_cast<unsigned char>(prev)) || prev == ')' || prev == ']');
    if (boundary && !inside_camel_word(i)) {
      items.push_back(std::string(detail::trim(line.substr(start, i - start))));
      start = i;
    }
  }
  items.push_back(std::string(detail::trim(line.substr(start))));
  items.erase(
      std::remove_if(items.begin(), items.end(), [](const std::string& s) { return s.empty(); }),
      items.end());
  return items;
}

// "text" (straight or curly quotes) without the quotes; nullopt if `s` is
// not quoted. A quote that opens and never closes is unterminated.
enum class Quoted { kNo, kYes, kUnterminated };
Quoted unquote(const std::string& s, std::string& out) {
  static const std::string kOpen[] = {"\"", "\xE2\x80\x9C"};   // " “
  static const std::string kClose[] = {"\"", "\xE2\x80\x9D"};  // " ”
  for (const auto& open : kOpen) {
    if (s.rfind(open, 0) != 0) continue;
    for (const auto& close : kClose) {
      if (s.size() >= open.size() + close.size() &&
          s.compare(s.size() - close.size(), close.size(), close) == 0) {
        out =
            std::string(detail::trim(s.substr(open.size(), s.size() - open.size() - close.size())));
        return Quoted::kYes;
      }
    }
    return Quoted::kUnterminated;
  }
  return Quoted::kNo;
}

std::optional<std::int64_t> parse_amount(const std::string& s) {
  std::string digits;
  for (char c : s) {
    if (c >= '0' && c <= '9')
      digits += c;
    else if (c != ',')
      break;
  }
  if (digits.empty() || digits.size() > 15) return std::nullopt;
  return std::stoll(digits);
}

// The page's line patterns, matched by hand: std::regex recurses once a
// character, and a line of some 50 KB overflowed the stack. Each says the
// ECMAScript pattern it replaces, which it matches exactly.

// ASCII white space, as the patterns' \s (the C locale's isspace).
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
std::string_view skip_spaces(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}
// The rest of a line as the patterns' (.*)$ takes it: '.' is anything but a
// line terminator, and a line holds no '\n'.
bool rest_of_line(std::string_view s) {
  return s.find('\r') == std::string_view::npos;
}
// \d{1,3}\s*% at the start of `s`: the digits, and `s` moved past the '%'.
std::optional<std::string> percent_digits(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && n < 3 && is_digit(s[n])) ++n;
  std::string_view after = skip_spaces(s.substr(n));
  if (n == 0 || after.empty() || after.front() != '%') return std::nullopt;
  std::string digits(s.substr(0, n));
  s = after.substr(1);
  return digits;
}
bool is_clock(std::string_view s) {
  return s.size() == 5 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':' && is_digit(s[3]) &&
         is_digit(s[4]);
}

// The published page's sections, in order.
constexpr int kSections = 11;
constexpr const char* kSectionNames[kSections] = {"[01] THE ORG-CHART ARCHITECTURE",
                                                  "[02] THE HABITAT",
                                                  "[03] SALARY DELUSION",
                                                  "[04] THE FLIGHT RISK",
                                                  "[05] THE BULLSHIT METRICS",
                                                  "[06] SIGNATURE WEAPONRY",
                                                  "[07] SURVIVAL / ENCOUNTER GUIDE",
                                                  "[08] THE JD AUTOPSY",
                                                  "[09] DAY-IN-THE-LIFE LOG",
                                                  "[10] THE BURN WARD",
                                                  "[11] RELATED SPECIMENS"};

std::string two_digits(int n) {
  return (n < 10 ? "0" : "") + std::to_string(n);
}

// The section a line can only belong to, by what it starts with, or 0.
int signature_of(std::string_view line) {
  if (line.rfind("MARKET AVERAGE", 0) == 0) return 3;
  if (line.rfind("FLIGHT RISK:", 0) == 0) return 4;
  if (line.rfind("LINKEDIN ILLUSION", 0) == 0 || line.rfind("OTIOSE TRANSLATION", 0) == 0) return 8;
  if (line.size() >= 6 && line[0] == '[' && is_clock(line.substr(1, 5))) return 9;
  if (line.rfind("SYSTEM MATCH", 0) == 0 || line.find("SYSTEM MATCH:") != std::string_view::npos)
    return 11;
  return 0;
}

// True when a page's last line ends as a finished page does: with a full
// stop, a closing quote or bracket, a per cent sign or the card's arrow.
bool ends_sentence(std::string_view line) {
  for (std::string_view end : {".", "!", "?", "\"", "'", ")", "%", "\xE2\x86\x92" /* → */,
                               "\xE2\x80\x9D" /* ” */, "\xE2\x80\xA6" /* … */})
    if (line.size() >= end.size() && line.substr(line.size() - end.size()) == end) return true;
  return false;
}

// "[02] THE HABITAT": the number and the name (^\[(\d\d)\]\s*(.*)$).
std::optional<std::pair<std::string, std::string>> section_heading(std::string_view line) {
  if (line.size() < 4 || line[0] != '[' || !is_digit(line[1]) || !is_digit(line[2]) ||
      line[3] != ']')
    return std::nullopt;
  std::string_view name = skip_spaces(line.substr(4));
  if (!rest_of_line(name)) return std::nullopt;
  return std::pair{std::string(line.substr(1, 2)), std::string(name)};
}

// "FLIGHT RISK:85%HIGH RISK": the percent's digits and the label
// (^FLIGHT RISK:\s*(\d{1,3})\s*%\s*(.*)$).
std::optional<std::pair<std::string, std::string>> flight_risk_line(std::string_view line) {
  constexpr std::string_view kLabel = "FLIGHT RISK:";
  if (line.substr(0, kLabel.size()) != kLabel) return std::nullopt;
  std::string_view s = skip_spaces(line.substr(kLabel.size()));
  auto digits = percent_digits(s);
  if (!digits) return std::nullopt;
  std::string_view label = skip_spaces(s);
  if (!rest_of_line(label)) return std::nullopt;
  return std::pair{*digits, std::string(label)};
}

// "[IF ENGAGED:]advice": the case and the advice (^\[([^\]]+?):?\]\s*(.*)$).
std::optional<std::pair<std::string, std::string>> survival_tip(std::string_view line) {
  if (line.empty() || line[0] != '[') return std::nullopt;
  std::size_t close = line.find(']', 1);
  if (close == std::string_view::npos || close == 1) return std::nullopt;
  std::string_view when = line.substr(1, close - 1);
  if (when.size() >= 2 && when.back() == ':') when.remove_suffix(1);
  std::string_view advice = skip_spaces(line.substr(close + 1));
  if (!rest_of_line(advice)) return std::nullopt;
  return std::pair{std::string(when), std::string(advice)};
}

// "[09:00 - 10:00]": the start and the end
// (^\[(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\]$).
std::optional<std::pair<std::string, std::string>> time_slot(std::string_view line) {
  if (line.size() < 2 || line.front() != '[' || line.back() != ']') return std::nullopt;
  std::string_view s = line.substr(1, line.size() - 2);
  std::string_view start = s.substr(0, 5);
  std::string_view rest = skip_spaces(s.substr(start.size()));
  if (!is_clock(start) || rest.empty() || rest.front() != '-') return std::nullopt;
  std::string_view end = skip_spaces(rest.substr(1));
  if (!is_clock(end)) return std::nullopt;
  return std::pair{std::string(start), std::string(end)};
}

// The n of the first "SYSTEM MATCH: <n>%" in `line` (a search for
// SYSTEM MATCH:\s*(\d{1,3})\s*%).
std::optional<std::string> system_match(std::string_view line) {
  constexpr std::string_view kLabel = "SYSTEM MATCH:";
  for (auto at = line.find(kLabel); at != std::string_view::npos; at = line.find(kLabel, at + 1)) {
    std::string_view s = skip_spaces(line.substr(at + kLabel.size()));
    if (auto digits = percent_digits(s)) return digits;
  }
  return std::nullopt;
}

class PageParser {
 public:
  PageParser(std::string_view text, std::string_view file) : file_(file) {
    std::string valid = detail::to_valid_utf8(text);
    std::size_t number = 0, start = 0;
    while (start <= valid.size()) {
      std::size_t end = valid.find('\n', start);
      if (end == std::string::npos) end = valid.size();
      ++number;
      std::string line(detail::trim(std::string_view(valid).substr(start, end - start)));
      if (!line.empty()) lines_.push_back({number, line});
      start = end + 1;
    }
  }

  ParsedRecord parse() {
    Record rec;
    std::size_t i = header(rec);
    int previous = 0;  // the last section number read
    if (!failed_) {
      while (i < lines_.size()) {
        auto m = section_heading(lines_[i].text);
        if (!m) {
          error(lines_[i].number, "",
                "expected a section heading like \"[02] THE HABITAT\", got \"" +
                    detail::utf8_prefix(lines_[i].text, 60) + "\"");
          break;
        }
        section_name_ = "[" + m->first + "] " + m->second;
        std::size_t heading = lines_[i].number;
        int number = std::stoi(m->first);
        previous = std::max(previous, number);
        last_ = number;
        std::size_t end = i + 1;
        while (end < lines_.size() && !section_heading(lines_[end].text)) ++end;
        std::vector<Line> body(lines_.begin() + static_cast<std::ptrdiff_t>(i + 1),
                               lines_.begin() + static_cast<std::ptrdiff_t>(end));
        // A line only another section has: that section's heading is
        // missing, and its lines would be read as this one's.
        for (const auto& line : body) {
          int owner = signature_of(line.text);
          if (owner > 0 && owner != number) {
            error(line.number, "page",
                  "\"" + detail::utf8_prefix(line.text, 40) + "\" belongs to " +
                      kSectionNames[owner - 1] + ", but it is under " + section_name_ +
                      ": that section's heading is missing");
            break;
          }
        }
        section(classify(m->second), heading, body, rec);
        i = end;
      }
    }
    // A page cut short: it stops before its last section, or mid-sentence.
    if (!failed_ && previous > 0 && previous < kSections)
      error(lines_.back().number, "page",
            "the page ends in section [" + two_digits(previous) + "], before " +
                kSectionNames[kSections - 1] + ": it looks cut short");
    // (Only the related cards end the page in a known way: a tagline's full
    // stop or the card's arrow.)
    if (!failed_ && last_ == kSections && !lines_.empty() && !ends_sentence(lines_.back().text))
      error(lines_.back().number, "page",
            "the last line ends mid-sentence (\"..." +
                detail::utf8_prefix(lines_.back().text.substr(lines_.back().text.size() > 40
                                                                  ? lines_.back().text.size() - 40
                                                                  : 0),
                                    40) +
                "\"): the page looks cut short");
    ParsedRecord result;
    if (!failed_ && rec.tagline.empty()) {
      Diagnostic d;
      d.severity = Diagnostic::Severity::kWarning;
      d.file = file_;
      d.field = "tagline";
      d.message = "the page shows no tagline for its own specimen: write one before indexing";
      diagnostics_.push_back(std::move(d));
    }
    result.diagnostics = std::move(diagnostics_);
    if (!failed_) result.record = std::move(rec);
    return result;
  }

 private:
  void error(std::size_t line, const std::string& section, std::string message) {
    Diagnostic d;
    d.file = file_;
    d.line = line;
    d.field = section;
    d.message = std::move(message);
    diagnostics_.push_back(std::move(d));
    failed_ = true;
  }
  void error(std::size_t line, std::string message) {
    error(line, section_name_, std::move(message));
  }
  static std::string shown(const std::string& s) {
    return "\"" + detail::utf8_prefix(s, 60) + (s.size() > 60 ? "...\"" : "\"");
  }

  // FILE RECORD: SLUG / WHAT DOES ... DO? / Title. Returns the first section line.
  std::size_t header(Record& rec) {
    const std::string kFileRecord = "FILE RECORD:";
    if (lines_.empty()) {
      error(1, "page", "expected \"FILE RECORD: <NAME>\", got an empty page");
      return 0;
    }
    if (lines_[0].text.rfind(kFileRecord, 0) != 0) {
      error(lines_[0].number, "page",
            "expected \"FILE RECORD: <NAME>\", got " + shown(lines_[0].text));
      return 0;
    }
    rec.slug =
        detail::slugify(std::string(detail::trim(lines_[0].text.substr(kFileRecord.size()))));
    if (rec.slug.empty()) {
      error(lines_[0].number, "page", "FILE RECORD: names no specimen");
      return 0;
    }
    std::size_t i = 1;
    if (i < lines_.size() && lines_[i].text.rfind("WHAT DOES", 0) == 0) ++i;
    if (i >= lines_.size() || lines_[i].text.front() == '[') {
      error(i < lines_.size() ? lines_[i].number : lines_.back().number + 1, "page",
            "expected the specimen's title line before the first section");
      return i;
    }
    rec.title = lines_[i].text;
    return i + 1;
  }

  void section(Section kind, std::size_t heading, const std::vector<Line>& body, Record& rec) {
    switch (kind) {
      case Section::kOrgChart: return org_chart(body, rec);
      case Section::kHabitat: return habitat(body, rec);
      case Section::kSalary: return salary(heading, body, rec);
      case Section::kFlightRisk: return flight_risk(heading, body, rec);
      case Section::kMetrics: rec.metrics = named(heading, body); return;
      case Section::kWeaponry: rec.weaponry = named(heading, body); return;
      case Section::kSurvival: return survival(body, rec);
      case Section::kAutopsy: return autopsy(heading, body, rec);
      case Section::kDayLog: return day_log(heading, body, rec);
      case Section::kBurnWard: return burn_ward(body, rec);
      case Section::kRelated: return related(heading, body, rec);
      case Section::kUnknown: {
        Diagnostic d;
        d.severity = Diagnostic::Severity::kWarning;
        d.file = file_;
        d.line = heading;
        d.field = section_name_;
        d.message = "unknown section, skipped";
        diagnostics_.push_back(std::move(d));
        return;
      }
    }
  }

  void org_chart(const std::vector<Line>& body, Record& rec) {
    OrgChart chart;
    bool any = false;
    for (std::size_t k = 0; k < body.size(); ++k) {
      const std::string& t = body[k].text;
      auto list_after = [&](const std::string& label) -> std::optional<std::vector<std::string>> {
        if (t.rfind(label, 0) != 0) return std::nullopt;
        std::string rest(detail::trim(t.substr(label.size())));
        if (rest.empty() && k + 1 < body.size()) rest = body[++k].text;
        return split_glued(rest);
      };
      if (auto a = list_after("KNOWN ALIASES / DISGUISES:")) {
        rec.aliases = *a;
      } else if (auto r = list_after("REPORTS TO:")) {
        chart.reports_to = *r;
        any = true;
      } else if (auto m = list_after("MANAGES:")) {
        chart.manages = *m;
        any = true;
      } else if (t.rfind("* ", 0) == 0) {
        chart.summary = t.substr(2);
        any = true;
      }
    }
    if (any) rec.org_chart = std::move(chart);
  }

  void habitat(const std::vector<Line>& body, Record& rec) {
    std::vector<std::string> items;
    for (const auto& l : body) {
      std::string t = l.text;
      if (t.rfind("- ", 0) == 0 || t.rfind("* ", 0) == 0) t = t.substr(2);
      items.push_back(t);
    }
    rec.habitat = std::move(items);
  }

  void salary(std::size_t heading, const std::vector<Line>& body, Record& rec) {
    Salary s;
    for (std::size_t k = 0; k < body.size(); ++k) {
      const std::string& t = body[k].text;
      std::string quoted;
      if (t == "MARKET AVERAGE") {
        if (k + 1 >= body.size() || !parse_amount(body[k + 1].text)) {
          error(k + 1 < body.size() ? body[k + 1].number : heading,
                "expected the average as a number after MARKET AVERAGE");
          return;
        }
        s.average = parse_amount(body[++k].text);
      } else if (t.rfind("* ", 0) == 0) {
        s.note = t.substr(2);
        std::vector<std::int64_t> amounts;
        for (std::size_t p = s.note->find('$'); p != std::string::npos;
             p = s.note->find('$', p + 1)) {
          if (auto a = parse_amount(s.note->substr(p + 1))) amounts.push_back(*a);
        }
        if (amounts.size() >= 2) {
          s.low = amounts[amounts.size() - 2];
          s.high = amounts[amounts.size() - 1];
        }
        if (!amounts.empty()) s.currency = "USD";
      } else {
        Quoted q = unquote(t, quoted);
        if (q == Quoted::kYes) {
          s.quote = quoted;
        } else if (q == Quoted::kUnterminated) {
          error(body[k].number, "the salary quote is cut off: " + shown(t));
          return;
        }
      }
    }
    if (!s.average && !s.low) {
      error(heading, "expected MARKET AVERAGE and its figure, found neither");
      return;
    }
    rec.salary = std::move(s);
  }

  void flight_risk(std::size_t heading, const std::vector<Line>& body, Record& rec) {
    FlightRisk f;
    for (const auto& l : body) {
      if (auto m = flight_risk_line(l.text)) {
        int percent = std::stoi(m->first);
        if (percent > 100) {
          error(l.number, "expected a percent 0..100, got " + m->first);
          return;
        }
        f.percent = percent;
        if (!m->second.empty()) f.label = m->second;
      } else if (l.text.rfind("[DIAGNOSIS]", 0) == 0) {
        f.diagnosis = std::string(detail::trim(l.text.substr(11)));
      }
    }
    if (!f.percent) {
      error(heading, "expected \"FLIGHT RISK:<n>%<label>\", not found");
      return;
    }
    rec.flight_risk = std::move(f);
  }

  // Alternating name / description lines.
  std::optional<std::vector<NamedItem>> named(std::size_t heading, const std::vector<Line>& body) {
    if (body.size() % 2 != 0) {
      error(body.empty() ? heading : body.back().number,
            "\"" + detail::utf8_prefix(body.back().text, 60) +
                "\" has no description line (the page may be cut off)");
      return std::nullopt;
    }
    std::vector<NamedItem> items;
    for (std::size_t k = 0; k + 1 < body.size(); k += 2)
      items.push_back({body[k].text, body[k + 1].text});
    return items;
  }

  void survival(const std::vector<Line>& body, Record& rec) {
    std::vector<SurvivalTip> tips;
    for (const auto& l : body) {
      if (auto m = survival_tip(l.text)) {
        tips.push_back({m->first, m->second});
      } else if (!tips.empty()) {
        tips.back().advice += " " + l.text;
      } else {
        error(l.number, "expected \"[IF ...:]advice\", got " + shown(l.text));
        return;
      }
    }
    rec.survival = std::move(tips);
  }

  void autopsy(std::size_t heading, const std::vector<Line>& body, Record& rec) {
    std::vector<AutopsyPair> pairs;
    std::size_t k = 0;
    while (k < body.size()) {
      if (body[k].text != "LINKEDIN ILLUSION") {
        error(body[k].number, "expected LINKEDIN ILLUSION, got " + shown(body[k].text));
        return;
      }
      std::size_t at = body[k].number;
      ++k;
      AutopsyPair p;
      if (k < body.size() && body[k].text.front() == '[' && body[k].text.back() == ']') {
        std::string inside = body[k].text.substr(1, body[k].text.size() - 2);
        if (inside != "SOURCE REDACTED") {
          if (inside.rfind("SOURCE:", 0) == 0) inside = std::string(detail::trim(inside.substr(7)));
          p.source = inside;
        }
        ++k;
      }
      std::string quoted;
      if (k >= body.size() || unquote(body[k].text, quoted) != Quoted::kYes) {
        error(k < body.size() ? body[k].number : at,
              "the illusion after LINKEDIN ILLUSION is missing or cut off");
        return;
      }
      p.illusion = quoted;
      ++k;
      if (k >= body.size() || body[k].text != "OTIOSE TRANSLATION" || k + 1 >= body.size()) {
        error(k < body.size() ? body[k].number : at,
              "the illusion has no OTIOSE TRANSLATION (the page may be cut off)");
        return;
      }
      p.translation = body[k + 1].text;
      k += 2;
      pairs.push_back(std::move(p));
    }
    if (pairs.empty()) {
      error(heading, "no LINKEDIN ILLUSION entries");
      return;
    }
    rec.jd_autopsy = std::move(pairs);
  }

  void day_log(std::size_t heading, const std::vector<Line>& body, Record& rec) {
    std::vector<LogEntry> entries;
    std::size_t k = 0;
    while (k < body.size()) {
      auto m = time_slot(body[k].text);
      if (!m) {
        error(body[k].number,
              "expected a time slot like \"[09:00 - 10:00]\", got " + shown(body[k].text));
        return;
      }
      if (k + 2 >= body.size() || time_slot(body[k + 1].text) || time_slot(body[k + 2].text)) {
        error(body[k].number, "entry " + body[k].text +
                                  " lacks its title or description (the page may be cut off)");
        return;
      }
      entries.push_back({m->first, m->second, body[k + 1].text, body[k + 2].text});
      k += 3;
    }
    if (entries.empty()) {
      error(heading, "no log entries");
      return;
    }
    rec.day_log = std::move(entries);
  }

  void burn_ward(const std::vector<Line>& body, Record& rec) {
    std::vector<Complaint> complaints;
    for (const auto& l : body) {
      std::string quoted;
      Quoted q = unquote(l.text, quoted);
      if (q == Quoted::kYes) {
        complaints.push_back({quoted, std::nullopt});
      } else if (q == Quoted::kUnterminated) {
        error(l.number, "the complaint is cut off: " + shown(l.text));
        return;
      } else if (l.text.rfind("\xE2\x80\x94", 0) == 0 || l.text.rfind("- ", 0) == 0) {
        // "— source" credits the complaint just above it.
        std::size_t skip = l.text.rfind("- ", 0) == 0 ? 2 : 3;
        if (complaints.empty() || complaints.back().source) {
          error(l.number, "a source line with no complaint above it: " + shown(l.text));
          return;
        }
        complaints.back().source = std::string(detail::trim(l.text.substr(skip)));
      }
      // "* The stark reality ..." and other prose: the section's caption.
    }
    rec.burn_ward = std::move(complaints);
  }

  void related(std::size_t heading, const std::vector<Line>& body, Record& rec) {
    std::vector<PublishedRelated> items;
    std::size_t k = 0;
    while (k < body.size()) {
      if (body[k].text == "\xE2\x86\x92") {  // the card's arrow
        ++k;
        continue;
      }
      auto digits = system_match(body[k].text);
      if (!digits) {
        error(body[k].number, "expected \"SYSTEM MATCH: <n>%\", got " + shown(body[k].text));
        return;
      }
      int match = std::stoi(*digits);
      if (match > 100 || k + 1 >= body.size()) {
        error(body[k].number, k + 1 >= body.size()
                                  ? "a related specimen with no title (the page may be cut off)"
                                  : "expected a match 0..100, got " + *digits);
        return;
      }
      PublishedRelated p;
      p.match = match;
      p.title = body[k + 1].text;
      p.slug = detail::slugify(p.title);
      k += 2;
      if (k < body.size() && body[k].text != "\xE2\x86\x92" && !system_match(body[k].text)) {
        p.tagline = body[k].text;
        ++k;
      }
      items.push_back(std::move(p));
    }
    if (items.empty()) {
      error(heading, "no SYSTEM MATCH entries");
      return;
    }
    rec.related = std::move(items);
  }

  std::string file_;
  std::string section_name_;
  int last_ = 0;  // the number of the section read last
  std::vector<Line> lines_;
  std::vector<Diagnostic> diagnostics_;
  bool failed_ = false;
};

}  // namespace

ParsedRecord import_page(std::string_view page_text, std::string_view file) {
  return PageParser(page_text, file).parse();
}

}  // namespace otiose

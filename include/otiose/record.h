// record.h: the specimen record of SCHEMA.md, its JSON form, its quotes, and
// the corpus loader that reads, checks and reports on every record.
//
// Everything here is plain data and free functions: thread-safe as long as
// two threads do not write the same object.
#ifndef OTIOSE_RECORD_H_
#define OTIOSE_RECORD_H_

#include <otiose/export.h>

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otiose {

struct OrgChart {
  std::optional<std::string> summary;
  std::vector<std::string> reports_to;
  std::vector<std::string> manages;
  bool operator==(const OrgChart&) const = default;
};

// Yearly amounts in whole currency units.
struct Salary {
  std::optional<std::int64_t> average;
  std::optional<std::int64_t> low;
  std::optional<std::int64_t> high;
  std::optional<std::string> currency;  // ISO 4217, e.g. "USD"
  std::optional<std::string> note;
  std::optional<std::string> quote;
  bool operator==(const Salary&) const = default;
};

struct FlightRisk {
  std::optional<int> percent;  // 0..100
  std::optional<std::string> label;
  std::optional<std::string> diagnosis;
  bool operator==(const FlightRisk&) const = default;
};

// A metric ([05]) or a weapon ([06]).
struct NamedItem {
  std::string name;
  std::string description;
  bool operator==(const NamedItem&) const = default;
};

struct SurvivalTip {
  std::string when;  // e.g. "IF ENGAGED"
  std::string advice;
  bool operator==(const SurvivalTip&) const = default;
};

struct AutopsyPair {
  std::string illusion;               // the job ad's words
  std::optional<std::string> source;  // nullopt when redacted
  std::string translation;            // the plain version
  bool operator==(const AutopsyPair&) const = default;
};

struct LogEntry {
  std::string start;  // "HH:MM"
  std::string end;    // "HH:MM"
  std::string title;
  std::string description;
  bool operator==(const LogEntry&) const = default;
};

struct Complaint {
  std::string text;
  std::optional<std::string> source;  // nullopt when none is given
  bool operator==(const Complaint&) const = default;
};

// A related specimen as *published* on a page (curated, not computed).
struct PublishedRelated {
  std::string title;
  std::string slug;
  int match = 0;  // 0..100
  std::string tagline;
  bool operator==(const PublishedRelated&) const = default;
};

// One specimen. Optional sections are std::optional so that a record read
// from JSON writes back the same keys it had.
struct Record {
  std::string slug;  // ^[a-z0-9]+(-[a-z0-9]+)*$
  std::string title;
  std::string tagline;
  std::optional<std::vector<std::string>> aliases;
  std::optional<OrgChart> org_chart;
  std::optional<std::vector<std::string>> habitat;
  std::optional<Salary> salary;
  std::optional<FlightRisk> flight_risk;
  std::optional<std::vector<NamedItem>> metrics;
  std::optional<std::vector<NamedItem>> weaponry;
  std::optional<std::vector<SurvivalTip>> survival;
  std::optional<std::vector<AutopsyPair>> jd_autopsy;
  std::optional<std::vector<LogEntry>> day_log;
  std::optional<std::vector<Complaint>> burn_ward;
  std::optional<std::vector<PublishedRelated>> related;
  // Top-level keys SCHEMA.md does not know, kept for the round trip:
  // key -> its value as compact JSON text.
  std::map<std::string, std::string> extra;
  bool operator==(const Record&) const = default;
};

// A problem found in a record or a corpus, printed like a compiler would:
//   data/roles/sdet.json: flight_risk.percent: expected an integer 0..100, got "high"
//   corpus.jsonl:17: slug: expected lower-case words joined by '-', got "Ceo"
//   data/roles/x.json:3:14: malformed JSON: ...
struct OTIOSE_EXPORT Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string file;        // as the user named it; "-" for standard input
  std::size_t line = 0;    // JSON Lines line, or JSON syntax error line; 0: none
  std::size_t column = 0;  // JSON syntax error column; 0: none
  std::string field;       // "flight_risk.percent", "aliases[2]"; empty: whole record
  std::string message;     // "expected ..., got ..."

  // The one-line form above; warnings carry "warning: " before the message.
  std::string to_string() const;
  bool is_error() const { return severity == Severity::kError; }
};

// The result of reading one record's JSON text.
struct ParsedRecord {
  std::optional<Record> record;         // set when there are no errors
  std::vector<Diagnostic> diagnostics;  // errors and warnings, file/line unset
};

// Parses and validates one record. Never throws for bad input: every problem
// (malformed JSON, wrong types, out-of-range values, unknown keys as
// warnings) is a diagnostic. `file` and `line` are copied into them. Beyond
// SCHEMA.md it refuses what could not be indexed or shown safely: nesting
// deeper than 64, a NUL byte, control characters other than tab and line
// breaks in text, text over 1 MiB, a slug over 128 bytes, a source over 200.
OTIOSE_EXPORT ParsedRecord parse_record(std::string_view json_text, std::string_view file = {},
                                        std::size_t line = 0);

// Checks an in-memory record against SCHEMA.md (the checks parse_record does
// after the JSON types are right). Returns the problems, empty when clean.
OTIOSE_EXPORT std::vector<Diagnostic> validate(const Record& record);

// The record as JSON text with SCHEMA.md's key order, then the extra keys.
// indent < 0 gives one line (JSON Lines); otherwise pretty with that indent.
// parse_record(to_json(r)) == r for every valid record.
OTIOSE_EXPORT std::string to_json(const Record& record, int indent = 2);

// A quotable sentence of a record, a search hit of its own (SCHEMA.md, "Quotes").
struct Quote {
  std::string id;    // "<slug>#<kind>-<n>", n counting from 1 in record order
  std::string kind;  // complaint, illusion, translation, salary, diagnosis
  int n = 0;
  std::string slug;  // the owning specimen
  std::string text;
  std::optional<std::string> source;  // complaints and illusions only
};

// Every quote of `record`, in record order.
OTIOSE_EXPORT std::vector<Quote> quotes(const Record& record);

// A record and where it came from, for messages: "data/roles/sdet.json" or
// "corpus.jsonl:17".
struct LoadedRecord {
  Record record;
  std::string origin;
};

struct LoadOptions {
  // Keep reading after the first bad source file; the loader always reports
  // every bad record of the sources it reads, this only governs whether a
  // caller should go on (see Corpus::usable()).
  bool keep_going = false;
};

struct OTIOSE_EXPORT Corpus {
  std::vector<LoadedRecord> records;    // the good ones, sorted by slug
  std::vector<Diagnostic> diagnostics;  // in source order
  std::size_t bad_records = 0;          // records that had errors
  bool keep_going = false;              // as LoadOptions asked

  std::size_t error_count() const;
  std::size_t warning_count() const;
  // True when downstream work may proceed: no errors, or keep_going.
  bool usable() const { return error_count() == 0 || keep_going; }
};

// Reads every source: a directory (every *.json below it, recursively, in
// sorted path order, one record a file), a JSON Lines file (one record a
// line; blank lines skipped), or "-" for a stream of JSON records on
// `stdin_stream` (JSON Lines, or records over several lines as otiose-import
// prints them; each named by the line it starts on).
// A slug that appears twice is an error naming both places; the first one
// is kept. Bad records are diagnostics, never exceptions.
// Throws Error(kIo) when a source does not exist or cannot be read.
OTIOSE_EXPORT Corpus load_corpus(const std::vector<std::string>& sources,
                                 const LoadOptions& options = {},
                                 std::istream* stdin_stream = nullptr);

// Turns a published page dump (the format of the owner's seed page) into a
// record. `file` names the page in diagnostics. On success the result holds
// the record; when the page cannot be parsed, it holds no record and errors
// naming the line and the section, e.g.
//   page.txt:17: [04] THE FLIGHT RISK: expected "FLIGHT RISK:<n>%<label>", got "..."
OTIOSE_EXPORT ParsedRecord import_page(std::string_view page_text, std::string_view file = {});

}  // namespace otiose

#endif  // OTIOSE_RECORD_H_

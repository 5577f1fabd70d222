// indexer/: the Xapian documents a record and its quotes become, and the
// spelling dictionary (private). The terms and values
// they hold are the on-disk contract in layout/layout.h.
#ifndef OTIOSE_INDEXER_DOCUMENTS_H_
#define OTIOSE_INDEXER_DOCUMENTS_H_

#include <otiose/record.h>

#include <xapian.h>

#include <optional>
#include <string>
#include <unordered_map>

namespace otiose::detail {

// Makes documents with one term generator (stemmed as layout.h says). Not
// thread-safe: one a thread.
class DocumentMaker {
 public:
  DocumentMaker();

  // A specimen's document: every field as free text (title and aliases
  // weighed up, each field also under its prefix), its boolean terms, the
  // sortable numbers, the values a hit shows, and the record as JSON data.
  // `json` is the record as to_json(-1) wrote it, `hash` its content hash.
  Xapian::Document role(const Record& r, const std::string& json, const std::string& hash);

  // A quote's document, pointing back at its specimen. It holds `q` and,
  // of `r`, only what same_quote_context() compares.
  Xapian::Document quote(const Record& r, const Quote& q);

 private:
  Xapian::TermGenerator tg_;
};

// Whether a quote's document made with `a` is the one made with `b`: the
// same slug and the same numbers (salary and flight risk), the only parts
// of its record a quote's document holds.
bool same_quote_context(const Record& a, const Record& b);

// The record a specimen's document (DocumentMaker::role) was made from, or
// nullopt when its data does not hold one.
std::optional<Record> record_of(const Xapian::Document& role);

// The spelling dictionary: every word of kSpellingShortest to
// kSpellingLongest bytes in the records' text (as Xapian's term generator
// splits it), with how often it occurs. Kept by the indexer and stored only
// in the form a query reads (layout.h, kMetaSpelling): Xapian's own
// spelling table, with the fragments its suggestions need, cost a build
// more than the words themselves. Not thread-safe.
class SpellingCounts {
 public:
  // Counts the words of the record whose document (DocumentMaker::role)
  // `role` is in (sign +1) or out (-1): read from its terms, each text
  // field's words unprefixed at its weight, the title's and the aliases'
  // also under their prefixes.
  void add(const Xapian::Document& role, int sign);
  // Counts `word` in `n` more times (or out, n < 0).
  void add_word(const std::string& word, long long n);
  // Adds another's counts to these.
  void merge(const SpellingCounts& other);
  // Adds the counts `db` stores. Throws Error(kIndex) naming `where` for a
  // damaged table.
  void load(const Xapian::Database& db, const std::string& where);
  // Replaces what `db` stores with the words whose count is positive.
  void store(Xapian::WritableDatabase& db) const;

 private:
  std::unordered_map<std::string, long long> counts_;
};

}  // namespace otiose::detail

#endif  // OTIOSE_INDEXER_DOCUMENTS_H_

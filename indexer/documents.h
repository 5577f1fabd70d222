// indexer/: the Xapian documents a record and its quotes become, and the
// spelling dictionary's changes over a run (private). The terms and values
// they hold are the on-disk contract in layout/layout.h.
#ifndef OTIOSE_INDEXER_DOCUMENTS_H_
#define OTIOSE_INDEXER_DOCUMENTS_H_

#include <otiose/record.h>

#include <xapian.h>

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

  // A quote's document, pointing back at its specimen.
  Xapian::Document quote(const Record& r, const Quote& q);

 private:
  Xapian::TermGenerator tg_;
};

// The spelling dictionary's changes over a run, applied once at the end:
// Xapian's spelling table is costly to touch per document. Not thread-safe.
class SpellingDelta {
 public:
  // Counts a record's words in (sign +1) or out (-1).
  void add(const Record& record, int sign);
  void apply(Xapian::WritableDatabase& db) const;

 private:
  Xapian::TermGenerator tg_;
  std::unordered_map<std::string, long long> delta_;
};

// Stores `db`'s spelling table, as it stands with the changes applied, in
// the form a query reads (layout.h, kMetaSpelling): after every change to
// the table, before the commit.
void store_spelling(Xapian::WritableDatabase& db);

}  // namespace otiose::detail

#endif  // OTIOSE_INDEXER_DOCUMENTS_H_

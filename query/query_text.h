// query/: from what a user typed to a Xapian query (private): the checks on
// the text, synonym expansion, the parser's prefixes, the option filters.
#ifndef OTIOSE_QUERY_QUERY_TEXT_H_
#define OTIOSE_QUERY_QUERY_TEXT_H_

#include <otiose/search.h>

#include <xapian.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otiose::detail {

inline constexpr std::size_t kMaxQueryBytes = 64 * 1024;
inline constexpr std::size_t kMaxQueryTerms = 1000;
inline constexpr std::size_t kMaxWildcards = 100;  // each expands to up to 200 terms

// A piece of a query string: a quoted phrase, a bare word (letters, digits,
// UTF-8), or anything else (spaces, brackets, operators, field:value).
struct Piece {
  enum Kind { kWord, kPhrase, kOther } kind;
  std::string text;
};
std::vector<Piece> split_query(std::string_view q);

// Rewrites bare words (and runs of them) that belong to a synonym group as
// (member OR "other member" ...), the longest match first.
std::string expand_synonyms(std::string_view query,
                            const std::vector<std::vector<std::string>>& groups);

// The terms and wildcards in a parsed query (walked without recursion).
std::pair<std::size_t, std::size_t> query_size(const Xapian::Query& query);

// Throws Error(kQuery) for text that is not UTF-8, too long, or of too many
// words: a query is a few words; a whole text goes to related_text.
void check_query_text(std::string_view text);

// The parser for user queries over `db`: the index's stemmer, the field
// names (title: alias: habitat: metric: weapon:) and the boolean filters
// (source: kind: role: type:), AND (or OR) between words. type: takes
// specimen (or role) and quote; an unknown type: or kind: value is noted in
// `warnings` (when given; it must outlive the parser) and matches nothing.
Xapian::QueryParser make_query_parser(const Xapian::Database& db, const Xapian::Stem& stemmer,
                                      bool match_any, std::vector<std::string>* warnings = nullptr);

// The quote kinds (SCHEMA.md): complaint, illusion, translation, salary,
// diagnosis.
bool known_kind(std::string_view kind);

// A type as the index spells it: "specimen" and "role" are "role",
// "quote" is "quote"; empty for anything else.
std::string index_type(std::string_view type);

// Parses `text` (synonyms expanded); an empty text matches everything.
// Throws Error(kQuery) with Xapian's message for a syntax error, and for a
// query with too many terms or wildcards.
Xapian::Query parse_user_query(Xapian::QueryParser& parser, std::string_view text,
                               const std::vector<std::vector<std::string>>& synonyms);

// `query` filtered by the options' type, kinds, flight risk and salary.
Xapian::Query apply_filters(Xapian::Query query, const SearchOptions& options);

}  // namespace otiose::detail

#endif  // OTIOSE_QUERY_QUERY_TEXT_H_

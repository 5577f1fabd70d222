// indexer/: reading a corpus's records fast (private). Almost every record
// of a corpus is well-formed and needs no explaining; those are read by
// simdjson, about 25 times faster than nlohmann's parser, and anything else
// (a malformed, unusual or invalid record) by parse_record, whose messages
// name the line, column and field. Both give the same result for every input.
#ifndef OTIOSE_INDEXER_FAST_RECORD_H_
#define OTIOSE_INDEXER_FAST_RECORD_H_

#include <otiose/record.h>

#include <cstddef>
#include <optional>
#include <string_view>

namespace otiose::detail {

// Limits that keep a record indexable: Xapian refuses terms over 245 bytes,
// and a slug or a source becomes part of one (Q<slug>#translation-12,
// XSRC<source>); a text field is a paragraph, not a book.
inline constexpr std::size_t kMaxSlug = 128;
inline constexpr std::size_t kMaxSource = 200;
inline constexpr std::size_t kMaxText = std::size_t{1} << 20;

// Lower-case words joined by single '-'.
bool valid_slug(std::string_view slug);
// "HH:MM", 00:00 to 24:00.
bool valid_clock(std::string_view t);

// The record `json_text` holds when parse_record would read it without a
// word to say (no error, no warning while reading; validate() still runs
// after), else nullopt: then only parse_record can say what is wrong.
// Thread-safe (a parser per thread).
std::optional<Record> read_plain_record(std::string_view json_text);

// parse_record(json_text, file, line), the same result, read_plain_record
// first.
ParsedRecord parse_corpus_record(std::string_view json_text, std::string_view file,
                                 std::size_t line);

}  // namespace otiose::detail

#endif  // OTIOSE_INDEXER_FAST_RECORD_H_

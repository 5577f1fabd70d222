// query/: the snippet under each hit (private).
#ifndef OTIOSE_QUERY_SNIPPETS_H_
#define OTIOSE_QUERY_SNIPPETS_H_

#include <otiose/search.h>

#include <xapian.h>

#include <cstddef>
#include <string>
#include <vector>

namespace otiose::detail {

// The part of a long text around the first place one of `words` occurs:
// Xapian's snippet generator stems every word of the text it is given, so a
// specimen's whole body (kilobytes) costs far more than the window it
// returns. `words` are the query's terms without their prefixes, which for
// a stem ("manag") still find the words it stems from. ASCII case-folding
// keeps byte offsets, and the cuts fall on spaces, never inside a UTF-8
// sequence. The flags say whether text was cut off before and after.
struct Window {
  std::string text;
  bool cut_before = false, cut_after = false;
};
Window snippet_window(const std::string& body, const std::vector<std::string>& words,
                      std::size_t length);

// The words a snippet should show: the query's terms without prefixes.
std::vector<std::string> snippet_words(const Xapian::Query& query);

// The stemmer for the snippets of one query's hits: `stemmer`'s stems, but
// only for words that could stem to one of the query's stemmed terms ("Z"
// and a stem). Xapian's snippet generator stems every word of a text only
// to look the stem up among those terms, and a stem begins with its word's
// first letter (the English stemmer changes a word's end, never its start),
// so any other word gets an empty stem, which no term is: the snippets are
// the same, at a fraction of the stemming.
Xapian::Stem snippet_stemmer(const Xapian::Stem& stemmer, const Xapian::Query& query);

// `s` with the HTML entities Xapian's snippets use turned back into text.
std::string unescape_html(const std::string& s);

// The snippet of `body` for a hit of `mset`: about `options.snippet_length`
// bytes around the matched words, which are marked with the options'
// highlight strings; HTML-escaped when `options.html`, else plain text.
// The body's line breaks (one list item a line) show as " · "; cut-off ends
// get an ellipsis.
std::string make_snippet(const Xapian::MSet& mset, std::string body,
                         const std::vector<std::string>& words, const Xapian::Stem& stemmer,
                         const SearchOptions& options);

}  // namespace otiose::detail

#endif  // OTIOSE_QUERY_SNIPPETS_H_

#include "query/snippets.h"

#include <algorithm>
#include <cstring>

#include "base/text.h"

namespace otiose::detail {

constexpr char kEllipsis[] = "\xE2\x80\xA6";

Window snippet_window(const std::string& body, const std::vector<std::string>& words,
                      std::size_t length) {
  if (body.size() <= 5 * length || words.empty()) return {body};
  std::string folded = ascii_lower(body);
  std::size_t first = std::string::npos;
  for (const auto& w : words) first = std::min(first, folded.find(w));
  if (first == std::string::npos) return {body};
  std::size_t from = first > 2 * length ? first - 2 * length : 0;
  std::size_t to = std::min(body.size(), first + 3 * length);
  if (from > 0) from = std::min(first, body.find(' ', from));
  if (to < body.size()) {
    std::size_t space = body.rfind(' ', to);
    if (space != std::string::npos && space > first) to = space;
  }
  return {body.substr(from, to - from), from > 0, to < body.size()};
}

std::vector<std::string> snippet_words(const Xapian::Query& query) {
  std::vector<std::string> out;
  for (auto t = query.get_unique_terms_begin(); t != query.get_unique_terms_end(); ++t) {
    std::string term = *t;
    std::size_t i = 0;
    while (i < term.size() && term[i] >= 'A' && term[i] <= 'Z') ++i;
    if (term.size() - i >= 2) out.push_back(term.substr(i));
  }
  return out;
}

std::string unescape_html(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      static const std::pair<const char*, char> kEntities[] = {{"&amp;", '&'},  {"&lt;", '<'},
                                                               {"&gt;", '>'},   {"&quot;", '"'},
                                                               {"&#39;", '\''}, {"&apos;", '\''}};
      bool done = false;
      for (const auto& [entity, c] : kEntities) {
        std::size_t n = std::strlen(entity);
        if (s.compare(i, n, entity) == 0) {
          out += c;
          i += n - 1;
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    out += s[i];
  }
  return out;
}

std::string make_snippet(const Xapian::MSet& mset, std::string body,
                         const std::vector<std::string>& words, const Xapian::Stem& stemmer,
                         const SearchOptions& o) {
  std::replace(body.begin(), body.end(), '\n', ' ');
  // Plain text is marked with control bytes first: Xapian escapes the text,
  // and the user's highlight strings must not be escaped with it.
  const std::string start = o.html ? o.highlight_start : "\x01";
  const std::string end = o.html ? o.highlight_end : "\x02";
  Window window = snippet_window(body, words, o.snippet_length);
  std::string snippet =
      mset.snippet(window.text, o.snippet_length, stemmer, 0, start, end, kEllipsis);
  // Xapian marks what it left out of the window; the window's own cuts are
  // marked here.
  if (window.cut_before && snippet.rfind(kEllipsis, 0) != 0) snippet = kEllipsis + snippet;
  if (window.cut_after && !snippet.ends_with(kEllipsis)) snippet += kEllipsis;
  if (o.html) return snippet;
  std::string marked;
  for (char c : unescape_html(snippet))
    marked += c == '\x01' ? o.highlight_start : c == '\x02' ? o.highlight_end : std::string(1, c);
  return marked;
}

}  // namespace otiose::detail

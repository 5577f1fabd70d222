#include "query/snippets.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

#include "base/text.h"

namespace otiose::detail {

constexpr char kEllipsis[] = "\xE2\x80\xA6";
constexpr char kSeparator[] = " \xC2\xB7 ";  // " · "

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

namespace {

class QueryStem : public Xapian::StemImplementation {
 public:
  QueryStem(const Xapian::Stem& stemmer, const Xapian::Query& query) : stemmer_(stemmer) {
    for (auto t = query.get_unique_terms_begin(); t != query.get_unique_terms_end(); ++t) {
      const std::string& term = *t;
      if (term.size() >= 2 && term[0] == 'Z') first_[static_cast<unsigned char>(term[1])] = true;
    }
  }

  std::string operator()(const std::string& word) override {
    if (word.empty() || !first_[static_cast<unsigned char>(word[0])]) return {};
    return stemmer_(word);
  }

  std::string get_description() const override {
    return "otiose::QueryStem(" + stemmer_.get_description() + ")";
  }

 private:
  Xapian::Stem stemmer_;
  bool first_[256] = {};
};

}  // namespace

Xapian::Stem snippet_stemmer(const Xapian::Stem& stemmer, const Xapian::Query& query) {
  return Xapian::Stem(new QueryStem(stemmer, query));
}

std::string unescape_html(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  for (std::size_t amp; (amp = s.find('&', i)) != std::string::npos;) {
    out.append(s, i, amp - i);
    i = amp;
    static const std::pair<const char*, char> kEntities[] = {{"&amp;", '&'},  {"&lt;", '<'},
                                                             {"&gt;", '>'},   {"&quot;", '"'},
                                                             {"&#39;", '\''}, {"&apos;", '\''}};
    bool done = false;
    for (const auto& [entity, c] : kEntities) {
      std::size_t n = std::strlen(entity);
      if (s.compare(i, n, entity) == 0) {
        out += c;
        i += n;
        done = true;
        break;
      }
    }
    if (!done) out += s[i++];
  }
  out.append(s, i);
  return out;
}

namespace {

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80);
}

std::string escape_html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// `s` with each byte of `bytes` replaced by `with(byte)`, the text between
// copied in runs. Not find_first_of, which calls memchr on `bytes` for every
// byte of `s`: one byte is found with memchr, two with a table.
template <typename F>
std::string replace_bytes(const std::string& s, std::string_view bytes, F with) {
  bool special[256] = {};
  for (char c : bytes) special[static_cast<unsigned char>(c)] = true;
  auto next = [&](std::size_t from) {
    if (bytes.size() == 1) return s.find(bytes[0], from);
    for (; from < s.size(); ++from)
      if (special[static_cast<unsigned char>(s[from])]) return from;
    return std::string::npos;
  };
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  std::size_t from = 0;
  for (std::size_t at; (at = next(from)) != std::string::npos; from = at + 1) {
    out.append(s, from, at - from);
    out += with(s[at]);
  }
  out.append(s, from);
  return out;
}

// The snippet Xapian cannot make: a query of field terms (title:architect)
// matches prefixed terms, which its snippet generator does not look for in
// plain text. Cuts about `length` bytes around the first word that starts
// with one of `words`, and marks every such word.
std::string marked_cut(const std::string& text, const std::vector<std::string>& words,
                       std::size_t length, const SearchOptions& o, bool& found) {
  std::string folded = ascii_lower(text);
  auto starts_word = [&](std::size_t i) -> std::size_t {
    if (i > 0 && word_char(folded[i - 1])) return 0;
    for (const auto& w : words)
      if (folded.compare(i, w.size(), w) == 0) {
        std::size_t end = i + w.size();
        while (end < folded.size() && word_char(folded[end])) ++end;
        return end - i;
      }
    return 0;
  };
  std::size_t first = std::string::npos;
  for (std::size_t i = 0; i < folded.size() && first == std::string::npos; ++i)
    if (starts_word(i)) first = i;
  found = first != std::string::npos;
  if (!found) return {};
  std::size_t from = first > length / 3 ? first - length / 3 : 0;
  std::size_t to = std::min(text.size(), first + length);
  if (from > 0) from = std::min(first, text.find(' ', from) + 1);
  if (to < text.size()) {
    std::size_t space = text.rfind(' ', to);
    if (space != std::string::npos && space > first) to = space;
  }
  std::string out = from > 0 ? kEllipsis : "";
  auto append = [&](std::size_t at, std::size_t n) {
    const std::string_view piece = std::string_view(text).substr(at, n);
    if (o.html)
      out += escape_html(piece);
    else
      out += piece;
  };
  std::size_t plain = from;  // the start of the unmarked run not yet copied
  for (std::size_t i = from; i < to;) {
    const std::size_t n = starts_word(i);
    if (n == 0) {
      ++i;
      continue;
    }
    append(plain, i - plain);
    out += o.highlight_start;
    append(i, n);
    out += o.highlight_end;
    i += n;
    plain = i;
  }
  append(plain, to > plain ? to - plain : 0);
  if (to < text.size()) out += kEllipsis;
  return out;
}

}  // namespace

std::string make_snippet(const Xapian::MSet& mset, std::string body,
                         const std::vector<std::string>& words, const Xapian::Stem& stemmer,
                         const SearchOptions& o) {
  // One item a line in the stored body: a separator between them, so that
  // "Chief of Staff to the CEO" and "Chief of Staff to the CTO" do not run
  // together.
  if (body.find('\n') != std::string::npos)
    body = replace_bytes(body, "\n", [](char) -> std::string_view { return kSeparator; });
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
  if (snippet.find(start) == std::string::npos && !words.empty()) {
    bool found = false;
    std::string cut = marked_cut(body, words, o.snippet_length, o, found);
    if (found) return cut;
  }
  if (o.html) return snippet;
  return replace_bytes(unescape_html(snippet), "\x01\x02", [&](char c) -> std::string_view {
    return c == '\x01' ? o.highlight_start : o.highlight_end;
  });
}

}  // namespace otiose::detail

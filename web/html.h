// web/: escaping for each context a value lands in. Every value a page
// shows goes through one of these; nothing is written into a page raw but
// the page's own markup.
#ifndef OTIOSE_WEB_HTML_H_
#define OTIOSE_WEB_HTML_H_

#include <string>
#include <string_view>

namespace otiose::web {

// Text and attribute values: & < > " ' escaped (so one function serves both
// element text and quoted attributes), appended to `out` a clean run at a
// time.
inline void append_escaped(std::string& out, std::string_view s) {
  std::size_t from = 0;
  while (true) {
    std::size_t at = s.find_first_of("&<>\"'", from);
    out.append(s.data() + from, (at == std::string_view::npos ? s.size() : at) - from);
    if (at == std::string_view::npos) return;
    switch (s[at]) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += "&#39;"; break;
    }
    from = at + 1;
  }
}

inline std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  append_escaped(out, s);
  return out;
}

// Appends pieces to `out`: text as is, Esc{text} escaped. A page is built
// in one string, without the temporaries of a + chain.
struct Esc {
  std::string_view text;
};
inline void put(std::string& out, std::string_view raw) {
  out.append(raw);
}
inline void put(std::string& out, Esc e) {
  append_escaped(out, e.text);
}
template <typename... Pieces>
void add(std::string& out, const Pieces&... pieces) {
  (put(out, pieces), ...);
}

// XML text (the OpenSearch description): the same five.
inline std::string escape_xml(std::string_view s) {
  return escape(s);
}

}  // namespace otiose::web

#endif  // OTIOSE_WEB_HTML_H_

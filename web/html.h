// web/: escaping for each context a value lands in. Every value a page
// shows goes through one of these; nothing is written into a page raw but
// the page's own markup.
#ifndef OTIOSE_WEB_HTML_H_
#define OTIOSE_WEB_HTML_H_

#include <string>
#include <string_view>

namespace otiose::web {

// Text and attribute values: & < > " ' escaped (so one function serves both
// element text and quoted attributes).
inline std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// XML text (the OpenSearch description): the same five.
inline std::string escape_xml(std::string_view s) {
  return escape(s);
}

}  // namespace otiose::web

#endif  // OTIOSE_WEB_HTML_H_

// load_occupations: the reference occupations and a catalogue's map of
// which of them each specimen is.
#include <otiose/error.h>
#include <otiose/similarity.h>

#include <sstream>
#include <unordered_set>

#include "base/text.h"

namespace otiose {
namespace {

// Calls `line(number, text)` for each line that is not blank or a comment.
template <typename F>
void each_line(const std::string& path, F line) {
  std::istringstream in(detail::read_file(path));
  std::string text;
  for (std::size_t number = 1; std::getline(in, text); ++number) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    std::string_view t = detail::trim(text);
    if (t.empty() || t.front() == '#') continue;
    auto where = path + ":" + std::to_string(number);
    if (!detail::valid_utf8(text)) throw Error(ErrorKind::kUsage, where + ": expected UTF-8 text");
    line(where, text);
  }
}

}  // namespace

Occupations load_occupations(const std::string& reference_path, const std::string& map_path) {
  Occupations out;
  std::unordered_set<std::string> codes;
  each_line(reference_path, [&](const std::string& where, const std::string& text) {
    auto a = text.find('\t');
    auto b = a == std::string::npos ? a : text.find('\t', a + 1);
    if (b == std::string::npos || text.find('\t', b + 1) != std::string::npos)
      throw Error(ErrorKind::kUsage, where + ": expected CODE<TAB>TITLE<TAB>TEXT");
    Occupation o{text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1)};
    if (o.code.empty() || o.title.empty())
      throw Error(ErrorKind::kUsage, where + ": an empty code or title");
    if (!codes.insert(o.code).second)
      throw Error(ErrorKind::kUsage, where + ": occupation " + o.code + " is listed twice");
    out.reference.push_back(std::move(o));
  });
  each_line(map_path, [&](const std::string& where, const std::string& text) {
    std::istringstream words(text.substr(0, text.find('#')));
    std::string slug, code;
    words >> slug;
    bool any = false;
    while (words >> code) {
      if (!codes.count(code))
        throw Error(ErrorKind::kUsage, where + ": no occupation " + code + " in " + reference_path);
      out.covered.push_back({slug, code, where});
      any = true;
    }
    if (!any) throw Error(ErrorKind::kUsage, where + ": expected SLUG CODE [CODE...]");
  });
  return out;
}

}  // namespace otiose

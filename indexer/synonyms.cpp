#include <otiose/index.h>

#include <otiose/error.h>

#include <sstream>

#include "base/text.h"

namespace otiose {

std::vector<std::vector<std::string>> load_synonyms(const std::string& path) {
  std::istringstream in(detail::read_file(path));
  std::vector<std::vector<std::string>> groups;
  std::string line;
  std::size_t number = 0;
  auto bad = [&](const std::string& what) {
    throw Error(ErrorKind::kUsage, path + ":" + std::to_string(number) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    if (detail::trim(line).empty()) continue;
    if (!detail::valid_utf8(line)) bad("expected UTF-8 text");
    auto eq = line.find('=');
    if (eq == std::string::npos) bad("expected \"term = synonym, another\", got \"" + line + "\"");
    std::vector<std::string> group;
    auto add = [&](std::string_view item) {
      std::string words;
      std::istringstream split{std::string(item)};
      for (std::string w; split >> w;) {
        if (!words.empty()) words += ' ';
        words += detail::ascii_lower(w);
      }
      if (words.empty()) bad("an empty term in \"" + line + "\"");
      for (char c : words)
        if (c == '"' || c == '(' || c == ')' || c == ':')
          bad("a term may not contain quotes, brackets or ':', got \"" + words + "\"");
      group.push_back(words);
    };
    add(std::string_view(line).substr(0, eq));
    std::string rest = line.substr(eq + 1);
    std::size_t start = 0;
    for (std::size_t comma; (comma = rest.find(',', start)) != std::string::npos; start = comma + 1)
      add(std::string_view(rest).substr(start, comma - start));
    add(std::string_view(rest).substr(start));
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace otiose

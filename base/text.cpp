#include "base/text.h"

#include <otiose/env.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace otiose::detail {
namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 if ill-formed.
std::size_t sequence_length(std::string_view s, std::size_t i) noexcept {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return n;
}

}  // namespace

bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string utf8_prefix(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end));
}

std::string_view trim(std::string_view s) noexcept {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::pair<std::size_t, std::size_t> line_column(std::string_view text,
                                                std::size_t offset) noexcept {
  if (offset > text.size()) offset = text.size();
  std::size_t line = 1, column = 1;
  // nlohmann reports the byte *after* the bad one; point at the bad one.
  std::size_t end = offset > 0 ? offset - 1 : 0;
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

std::string read_file(const std::string& path) {
  return Env::Default()->read_file(path);
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  // Branch-free, so that the compiler vectorizes it: snippets fold whole
  // record texts a hit.
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    c = static_cast<char>(u + (static_cast<unsigned char>(u - 'A') < 26 ? 'a' - 'A' : 0));
  }
  return out;
}

std::string slugify(std::string_view name) {
  std::string slug;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u))
      slug += static_cast<char>(std::tolower(u));
    else if (!slug.empty() && slug.back() != '-')
      slug += '-';
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  return edit_distance(a, b, std::max(a.size(), b.size()));
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  limit = std::min(limit, std::max(a.size(), b.size()));  // never more than that
  const std::size_t far = limit + 1;
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return far;
  if (limit < std::max(a.size(), b.size())) {
    // Each edit changes the letters counted on each side by one at most.
    int count[256] = {};
    auto at = [&](char c) -> int& { return count[static_cast<unsigned char>(c)]; };
    for (char c : a) ++at(c);
    for (char c : b) --at(c);
    std::size_t extra = 0, missing = 0;  // in a and not in b; the other way
    auto settle = [&](char c) {
      if (at(c) > 0) extra += static_cast<std::size_t>(at(c));
      if (at(c) < 0) missing += static_cast<std::size_t>(-at(c));
      at(c) = 0;
    };
    for (char c : a) settle(c);
    for (char c : b) settle(c);
    if (std::max(extra, missing) > limit) return far;
  }
  // Three rows of the optimal-string-alignment table, on the stack for
  // the names and words this is mostly asked about. Cells off the band
  // read as `far`.
  constexpr std::size_t kShort = 64;
  std::size_t stack[3][kShort + 1];
  std::vector<std::size_t> heap;
  std::size_t *before = stack[0], *previous = stack[1], *row = stack[2];
  if (b.size() > kShort) {
    heap.resize(3 * (b.size() + 1));
    before = heap.data();
    previous = before + b.size() + 1;
    row = previous + b.size() + 1;
  }
  for (std::size_t j = 0; j <= b.size(); ++j) {
    before[j] = far;
    previous[j] = std::min(j, far);
  }
  bool previous_past = false;  // every cell of `previous` above the limit
  for (std::size_t i = 1; i <= a.size(); ++i) {
    const std::size_t lo = i > limit ? i - limit : 1, hi = std::min(b.size(), i + limit);
    row[0] = std::min(i, far);
    if (lo > 1) row[lo - 1] = far;
    std::size_t least = row[0];
    for (std::size_t j = lo; j <= hi; ++j) {
      std::size_t v = std::min(
          {previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        v = std::min(v, before[j - 2] + 1);
      row[j] = std::min(v, far);
      least = std::min(least, row[j]);
    }
    if (hi < b.size()) row[hi + 1] = far;
    // A cell draws on the two rows above it, each step adding to them.
    const bool past = least > limit;
    if (past && previous_past) return far;
    previous_past = past;
    std::swap(before, previous);
    std::swap(previous, row);
  }
  return previous[b.size()];
}

std::size_t json_nesting(std::string_view text) noexcept {
  std::size_t depth = 0, deepest = 0;
  JsonStrings strings;
  for (char c : text) {
    if (!strings.outside(c)) continue;
    if (c == '{' || c == '[')
      deepest = std::max(deepest, ++depth);
    else if ((c == '}' || c == ']') && depth > 0)
      --depth;
  }
  return deepest;
}

}  // namespace otiose::detail

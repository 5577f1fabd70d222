// The tokenizer: scikit-learn's default analyzer, byte for byte.
#include <otiose/similarity.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace otiose {
namespace {

struct Range {
  char32_t first;
  char32_t last;
};
struct LowerEntry {
  char32_t from;
  std::uint8_t length;
  char32_t to[3];
};

#include "unicode_tables.inc"

template <std::size_t N>
bool in(const Range (&table)[N], char32_t c) {
  auto it = std::upper_bound(std::begin(table), std::end(table), c,
                             [](char32_t x, const Range& r) { return x < r.first; });
  return it != std::begin(table) && c <= std::prev(it)->last;
}

bool is_word(char32_t c) {
  if (c < 0x80)
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  return in(kWordRanges, c);
}

constexpr char32_t kReplacement = 0xFFFD;

// Decodes UTF-8; each ill-formed byte becomes U+FFFD (not a word character).
std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = byte(i);
    if (c < 0x80) {
      out.push_back(c);
      ++i;
      continue;
    }
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    char32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      cp = c & 0x0F;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      cp = c & 0x07;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    bool ok = n != 0 && i + n <= s.size() && byte(i + 1) >= lo && byte(i + 1) <= hi;
    for (std::size_t k = 2; ok && k < n; ++k) ok = byte(i + k) >= 0x80 && byte(i + k) <= 0xBF;
    if (!ok) {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
    out.push_back(cp);
    i += n;
  }
  return out;
}

void encode(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Python's str.lower(): full case mapping, and the final sigma rule.
std::u32string lower(const std::u32string& s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char32_t c = s[i];
    if (c < 0x80) {
      out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
      continue;
    }
    if (c == 0x3A3) {
      // Final_Sigma: \p{cased}\p{case-ignorable}* U+03A3 !(\p{case-ignorable}* \p{cased})
      std::size_t j = i;
      char32_t before = 0;
      bool found = false;
      while (j > 0) {
        before = s[--j];
        if (!in(kCaseIgnorable, before)) {
          found = true;
          break;
        }
      }
      bool final_sigma = found && in(kCased, before);
      if (final_sigma) {
        std::size_t k = i + 1;
        while (k < s.size() && in(kCaseIgnorable, s[k])) ++k;
        final_sigma = k == s.size() || !in(kCased, s[k]);
      }
      out.push_back(final_sigma ? 0x3C2 : 0x3C3);
      continue;
    }
    auto it = std::lower_bound(std::begin(kLower), std::end(kLower), c,
                               [](const LowerEntry& e, char32_t x) { return e.from < x; });
    if (it != std::end(kLower) && it->from == c) {
      for (std::size_t k = 0; k < it->length; ++k) out.push_back(it->to[k]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> tokenize(std::string_view text, bool lowercase) {
  std::u32string chars = decode(text);
  if (lowercase) chars = lower(chars);
  std::vector<std::string> tokens;
  std::size_t i = 0;
  while (i < chars.size()) {
    if (!is_word(chars[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < chars.size() && is_word(chars[j])) ++j;
    if (j - i >= 2) {
      std::string token;
      for (std::size_t k = i; k < j; ++k) encode(chars[k], token);
      tokens.push_back(std::move(token));
    }
    i = j;
  }
  return tokens;
}

}  // namespace otiose

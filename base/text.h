// base/: small text helpers shared by every layer of the library (private).
#ifndef OTIOSE_BASE_TEXT_H_
#define OTIOSE_BASE_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace otiose::detail {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or >U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

// `s` with every ill-formed UTF-8 sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view s);

// At most `max_bytes` of `s`, cut at a character boundary.
std::string utf8_prefix(std::string_view s, std::size_t max_bytes);

// `s` without leading and trailing ASCII white space.
std::string_view trim(std::string_view s) noexcept;

// 1-based line and column of byte `offset` in `text` (column counts bytes).
std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t offset) noexcept;

// Reads a whole file through Env::Default(); throws Error(kIo) naming the
// path.
std::string read_file(const std::string& path);

// ASCII lower case.
std::string ascii_lower(std::string_view s);

// A slug from a name: ASCII letters and digits lower-cased, every other run
// of characters one '-', none at the ends ("Sr. Manager, RMO" ->
// "sr-manager-rmo").
std::string slugify(std::string_view name);

// Edit distance in bytes: insert, delete, substitute, or swap two
// neighbours, 1 each (the optimal string alignment distance).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The same when it is at most `limit`, else limit + 1: a band of the table
// 2 * limit + 1 wide, left as soon as two rows are past the limit.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

// Follows a JSON text byte by byte: whether the byte fed is outside every
// string (a quote that opens or closes one counts as inside).
class JsonStrings {
 public:
  bool outside(char c) noexcept {
    if (in_string_) {
      if (escaped_)
        escaped_ = false;
      else if (c == '\\')
        escaped_ = true;
      else if (c == '"')
        in_string_ = false;
      return false;
    }
    if (c == '"') in_string_ = true;
    return !in_string_;
  }

 private:
  bool in_string_ = false, escaped_ = false;
};

// The deepest nesting of arrays and objects in JSON `text`, found without
// parsing it (brackets inside strings do not count). nlohmann's dump, copy
// and comparison recurse once a level: check this before parsing input.
std::size_t json_nesting(std::string_view text) noexcept;

}  // namespace otiose::detail

#endif  // OTIOSE_BASE_TEXT_H_

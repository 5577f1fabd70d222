#include "detail/layout.h"

#include <otiose/error.h>

#include <unistd.h>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "model_format.h"

namespace otiose::detail {

std::string generation_name(std::uint64_t number) {
  char name[32];
  std::snprintf(name, sizeof name, "gen-%010llu", static_cast<unsigned long long>(number));
  return name;
}

std::optional<std::string> current_generation(const std::string& index_dir) {
  std::string link = index_dir + "/" + kCurrentLink;
  char target[PATH_MAX];
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw Error(ErrorKind::kIndex, link + ": not an otiose index link: " + std::strerror(errno));
  }
  std::string name(target, static_cast<std::size_t>(n));
  if (name.rfind("gen-", 0) != 0 || name.find('/') != std::string::npos)
    throw Error(ErrorKind::kIndex, link + ": points at \"" + name + "\", not at a generation");
  return index_dir + "/" + name;
}

std::string content_hash(const std::string& text) {
  std::uint64_t h = checksum(reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace otiose::detail

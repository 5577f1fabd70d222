// Helpers for the tests: temporary directories and file writing.
#ifndef OTIOSE_TESTS_TEST_UTIL_H_
#define OTIOSE_TESTS_TEST_UTIL_H_

#include <otiose/similarity.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "base/text.h"

namespace otiose::test {

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("otiose-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_file(const std::string& path) {
  return detail::read_file(path);
}

inline std::string source_path(const std::string& relative) {
  return std::string(OTIOSE_SOURCE_DIR) + "/" + relative;
}

// The bundled catalogue's specimens: one data/roles/*.json each.
inline std::size_t catalogue_size() {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(source_path("data/roles")))
    n += e.path().extension() == ".json";
  return n;
}

// The reference occupations and the bundled catalogue's map of them, as
// otiose-index reads them for data/.
inline Occupations bundled_occupations() {
  return load_occupations(source_path("similarity/occupations.tsv"),
                          source_path("data/occupations.tsv"));
}

inline std::string seed_page() {
  return read_file(std::string(OTIOSE_TEST_DATA) + "/pages/seed-page.txt");
}
inline std::string seed_job_description() {
  return read_file(std::string(OTIOSE_TEST_DATA) + "/pages/seed-job-description.txt");
}

}  // namespace otiose::test

#endif  // OTIOSE_TESTS_TEST_UTIL_H_

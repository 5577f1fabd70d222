// env.h: the one seam every durable file operation goes through.
//
// Writing a file whole, flushing it, renaming it into place, linking, and
// mapping a file for reading: the index writer, the similarity model and
// the tools do all of it through an Env, as leveldb does. Env::Default() is
// the POSIX one. A test (or an embedder) can pass its own Env, for example
// one that fails the third rename, to prove that a failure at any step
// leaves the previous index answering, without root or a full disk.
#ifndef OTIOSE_ENV_H_
#define OTIOSE_ENV_H_

#include <otiose/export.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace otiose {

// A file mapped read-only; unmapped when destroyed. An empty file maps to
// data() == nullptr, size() == 0.
class OTIOSE_EXPORT MappedFile {
 public:
  virtual ~MappedFile();
  virtual const unsigned char* data() const = 0;
  virtual std::size_t size() const = 0;
};

// A file written front to back (Env::new_writable_file). Not thread-safe.
class OTIOSE_EXPORT WritableFile {
 public:
  // A file destroyed before close() returned is removed: an abandoned or
  // failed write leaves nothing behind.
  virtual ~WritableFile();
  // Appends `data`. Throws Error(kIo) naming the path.
  virtual void append(std::string_view data) = 0;
  // Flushes everything appended to disk (fsync) and closes the file.
  // Throws Error(kIo) naming the path (the file is then removed).
  virtual void close() = 0;
};

// Every member throws Error(kIo) naming the path and the system's reason,
// unless it says otherwise. Env::Default() is safe to use from many threads;
// an Env of one's own must be too if it is shared.
class OTIOSE_EXPORT Env {
 public:
  virtual ~Env();

  // The POSIX Env, never destroyed.
  static Env* Default();

  // The whole contents of `path`.
  virtual std::string read_file(const std::string& path);

  // Creates (or truncates) `path`, writes `data`, flushes it to disk
  // (fsync) and closes it. A failure removes the partial file.
  virtual void write_file(const std::string& path, std::string_view data);

  // Creates (or truncates) `path` for writing front to back, for a file
  // too large to hold in memory whole; see WritableFile.
  virtual std::unique_ptr<WritableFile> new_writable_file(const std::string& path);

  // Copies `from` to `to`, which must not exist yet (not flushed).
  virtual void copy_file(const std::string& from, const std::string& to);

  // Flushes a file or a directory (after a rename in it) to disk.
  virtual void sync(const std::string& path);

  // rename(2): atomic replacement of `to`.
  virtual void rename(const std::string& from, const std::string& to);

  // Creates the symbolic link `link` pointing at `target`.
  virtual void symlink(const std::string& target, const std::string& link);

  // Maps `path` read-only. Returns nullptr when the file does not exist.
  virtual std::unique_ptr<MappedFile> map_file(const std::string& path);
};

// Writes `data` to `path` whole or not at all: a temporary file beside it
// (PATH.tmp-PID), flushed, then renamed over `path`. Readers see the old
// contents or the new. Throws Error(kIo) naming `path`; the temporary file
// is removed on failure.
OTIOSE_EXPORT void write_file_atomically(Env& env, const std::string& path, std::string_view data);

// The same for a file written in pieces: `write` appends them to the
// temporary file (Env::new_writable_file); an exception from it is rethrown
// after the temporary file is removed.
OTIOSE_EXPORT void write_file_atomically(Env& env, const std::string& path,
                                         const std::function<void(WritableFile&)>& write);

}  // namespace otiose

#endif  // OTIOSE_ENV_H_

// The POSIX Env: the one place the library writes, flushes, renames, links
// and maps files.
#include <otiose/env.h>

#include <otiose/error.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace otiose {
namespace {

[[noreturn]] void fail(const std::string& path, const char* what, int error) {
  throw Error(ErrorKind::kIo, path + ": " + what + ": " + std::strerror(error));
}

// Closes a descriptor on every path out of a scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now; returns close(2)'s errno, or 0.
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// write(2) until done; returns errno, or 0.
int write_all(int fd, const char* p, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}

class PosixMappedFile final : public MappedFile {
 public:
  PosixMappedFile(void* map, std::size_t size) : map_(map), size_(size) {}
  ~PosixMappedFile() override {
    if (map_ != nullptr) ::munmap(map_, size_);
  }
  const unsigned char* data() const override { return static_cast<const unsigned char*>(map_); }
  std::size_t size() const override { return size_; }

 private:
  void* map_;
  std::size_t size_;
};

class PosixWritableFile final : public WritableFile {
 public:
  explicit PosixWritableFile(std::string path)
      : path_(std::move(path)),
        fd_(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) {
    if (fd_.get() < 0) fail(path_, "cannot create", errno);
  }
  ~PosixWritableFile() override {
    if (!closed_) ::unlink(path_.c_str());
  }

  void append(std::string_view data) override {
    if (int e = write_all(fd_.get(), data.data(), data.size())) fail(path_, "cannot write", e);
  }

  void close() override {
    const char* what = "cannot flush";
    int e = ::fsync(fd_.get()) == 0 ? 0 : errno;
    if (int c = fd_.close(); e == 0 && c != 0) {
      e = c;
      what = "cannot close";
    }
    if (e != 0) fail(path_, what, e);  // (the destructor removes the file)
    closed_ = true;
  }

 private:
  std::string path_;
  Fd fd_;
  bool closed_ = false;
};

std::string parent_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

MappedFile::~MappedFile() = default;
WritableFile::~WritableFile() = default;
Env::~Env() = default;

Env* Env::Default() {
  static Env* env = new Env;  // never destroyed: usable from static destructors
  return env;
}

std::string Env::read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail(path, "cannot open", errno);
  std::string out;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, errno == EISDIR ? "cannot read (a directory)" : "cannot read", errno);
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

void Env::write_file(const std::string& path, std::string_view data) {
  std::unique_ptr<WritableFile> file = new_writable_file(path);
  file->append(data);
  file->close();
}

std::unique_ptr<WritableFile> Env::new_writable_file(const std::string& path) {
  return std::make_unique<PosixWritableFile>(path);
}

void Env::copy_file(const std::string& from, const std::string& to) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) fail(from, "cannot read", errno);
  Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (out.get() < 0) fail(to, "cannot create", errno);
  // In the kernel: no copy through this process, and none at all where the
  // filesystem can share the blocks. Read and write where it is not offered.
  bool in_kernel = true;
  for (std::size_t copied = 0;;) {
    ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, std::size_t{1} << 30, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && copied == 0 &&
        (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
      in_kernel = false;
      break;
    }
    if (n < 0) fail(to, "cannot write", errno);
    if (n == 0) break;
    copied += static_cast<std::size_t>(n);
  }
  char buffer[1 << 16];
  while (!in_kernel) {
    ssize_t n = ::read(in.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(from, "cannot read", errno);
    if (n == 0) break;
    if (int e = write_all(out.get(), buffer, static_cast<std::size_t>(n)))
      fail(to, "cannot write", e);
  }
  if (int e = out.close()) fail(to, "cannot close", e);
}

void Env::sync(const std::string& path) {
  struct stat st {};
  bool directory = ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  Fd fd(::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC));
  if (fd.get() < 0) fail(path, "cannot open to flush", errno);
  if (::fsync(fd.get()) != 0) fail(path, "cannot flush", errno);
}

void Env::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) fail(to, "cannot rename into place", errno);
}

void Env::symlink(const std::string& target, const std::string& link) {
  if (::symlink(target.c_str(), link.c_str()) != 0) fail(link, "cannot create", errno);
}

std::unique_ptr<MappedFile> Env::map_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return nullptr;
    fail(path, "cannot open", errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(path, "cannot stat", errno);
  auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) return std::make_unique<PosixMappedFile>(nullptr, 0);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (map == MAP_FAILED) fail(path, "cannot map", errno);
  return std::make_unique<PosixMappedFile>(map, size);
}

namespace {

// Writes a temporary file beside `path` with `write_tmp`, renames it into
// place and flushes the directory; errors name `path`, and the temporary
// file is removed on failure.
void replace_atomically(Env& env, const std::string& path,
                        const std::function<void(const std::string&)>& write_tmp) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  try {
    write_tmp(tmp);
    env.rename(tmp, path);
  } catch (const Error& e) {
    ::unlink(tmp.c_str());
    // Name the file the caller asked for, not the temporary one.
    std::string message = e.what();
    if (message.rfind(tmp, 0) == 0) message = path + message.substr(tmp.size());
    throw Error(e.kind(), message);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  env.sync(parent_of(path));
}

}  // namespace

void write_file_atomically(Env& env, const std::string& path, std::string_view data) {
  replace_atomically(env, path, [&](const std::string& tmp) { env.write_file(tmp, data); });
}

void write_file_atomically(Env& env, const std::string& path,
                           const std::function<void(WritableFile&)>& write) {
  replace_atomically(env, path, [&](const std::string& tmp) {
    std::unique_ptr<WritableFile> file = env.new_writable_file(tmp);
    write(*file);
    file->close();
  });
}

}  // namespace otiose

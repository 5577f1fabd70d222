// web/: a small HTTP/1.1 server on Boost.Beast, with the limits a public
// server needs built in: request line, headers and body capped (414, 431,
// 413), a read and a write deadline on every connection (a slow client holds
// a connection, never a worker), a fixed number of worker threads and a cap
// on open connections (past it, 503 with Retry-After), and a drain on stop.
// What a request means is the Handler's business (site.h).
#ifndef OTIOSE_WEB_HTTP_H_
#define OTIOSE_WEB_HTTP_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace otiose::web {

struct Request {
  std::string method;                             // "GET", "HEAD", "POST", ...
  std::string path;                               // percent-decoded, without the query
  std::multimap<std::string, std::string> query;  // decoded parameters
  std::map<std::string, std::string> headers;     // names in lower case
  std::string body;

  // The first value of parameter `name`, or `fallback`.
  std::string param(const std::string& name, const std::string& fallback = {}) const;
  std::string header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
};

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;  // 0: any free port (Server::port says which)
  unsigned threads = 2;        // workers: the threads that answer requests
  std::size_t max_connections = 256;
  std::size_t max_target = 8 * 1024;               // request line's target, bytes
  std::size_t max_header = 16 * 1024;              // all header lines, bytes
  std::size_t max_body = 4 * 1024 * 1024;          // bytes
  std::chrono::milliseconds read_timeout{10000};   // a whole request
  std::chrono::milliseconds write_timeout{10000};  // a whole response
  std::chrono::milliseconds idle_timeout{30000};   // between keep-alive requests
  std::chrono::milliseconds drain_timeout{10000};  // on stop, for requests in flight
};

class Server {
 public:
  // Binds and listens. Throws std::runtime_error naming the address when it
  // cannot.
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  unsigned short port() const;

  // Answers requests on the worker threads until stop() (or SIGTERM or
  // SIGINT, when `signals` is set) and the drain that follows are done.
  void run(bool signals);

  // Stops accepting, lets requests in flight finish (up to drain_timeout),
  // closes idle connections. Safe from any thread.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "%41b+c" -> "Ab c" (form encoding: '+' is a space).
std::string url_decode(std::string_view s);
// Percent-encodes all but unreserved characters.
std::string url_encode(std::string_view s);
// "a=1&b=x+y" -> {a: 1, b: "x y"}.
std::multimap<std::string, std::string> parse_form(std::string_view s);

}  // namespace otiose::web

#endif  // OTIOSE_WEB_HTTP_H_

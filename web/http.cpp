#include "web/http.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace otiose::web {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string Request::param(const std::string& name, const std::string& fallback) const {
  auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

std::string Request::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string url_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string url_encode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::multimap<std::string, std::string> parse_form(std::string_view s) {
  std::multimap<std::string, std::string> out;
  while (!s.empty()) {
    std::size_t amp = s.find('&');
    std::string_view pair = s.substr(0, amp);
    s = amp == std::string_view::npos ? std::string_view() : s.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string key = url_decode(pair.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

namespace {

const char* reason(int status) {
  return http::obsolete_reason(static_cast<http::status>(status)).data();
}

}  // namespace

struct Server::Impl {
  class Session;

  ServerOptions o;
  Handler handler;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer drain_timer;
  std::atomic<std::size_t> open{0};
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;

  Impl(ServerOptions options, Handler h)
      : o(std::move(options)),
        handler(std::move(h)),
        ioc(static_cast<int>(std::max(1u, o.threads))),
        acceptor(net::make_strand(ioc)),
        signals(ioc),
        drain_timer(net::make_strand(ioc)) {}

  void accept();
  void begin_stop();
  void session_closed(Session* s);
};

// One connection: read a request (within the limits), answer it, again
// while the client keeps it alive.
class Server::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& server, tcp::socket socket, bool overloaded)
      : server_(server), stream_(std::move(socket)), overloaded_(overloaded) {}

  ~Session() { server_.session_closed(this); }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  // On stop: an idle connection is closed now; a busy one after its answer.
  void drain() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->stream_.socket().close();
    });
  }

 private:
  void read() {
    if (server_.stopping) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.o.max_target + server_.o.max_header));
    parser_->body_limit(server_.o.max_body);
    stream_.expires_after(first_ ? server_.o.read_timeout : server_.o.idle_timeout);
    first_ = false;
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::header_limit) return fail(431);
    if (ec == http::error::body_limit) return fail(413);  // by its Content-Length
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted)
      return close();
    if (ec) return fail(400);
    busy_ = true;
    const auto& req = parser_->get();
    if (req.target().size() > server_.o.max_target) return fail(414);
    if (overloaded_) return fail(503);
    if (parser_->content_length() && *parser_->content_length() > server_.o.max_body)
      return fail(413);
    stream_.expires_after(server_.o.read_timeout);
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code e, std::size_t) {
                          if (e) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) return fail(413);
    if (ec == beast::error::timeout) return fail(408);
    if (ec) return close();
    auto& req = parser_->get();
    Request r;
    r.method = std::string(req.method_string());
    std::string_view target = req.target();
    std::size_t q = target.find('?');
    r.path = url_decode(target.substr(0, q));
    if (q != std::string_view::npos) r.query = parse_form(target.substr(q + 1));
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers.emplace(std::move(name), std::string(field.value()));
    }
    r.body = std::move(req.body());
    Response res;
    try {
      res = server_.handler(r);
    } catch (const std::exception& e) {
      // Logged for the operator; the client learns only that it failed.
      std::cerr << "otiose-serve: " << r.method << " " << r.path << ": " << e.what() << "\n";
      res = Response{500, "text/plain; charset=utf-8", "internal error\n", {}};
    }
    write(std::move(res), req.keep_alive(), r.method == "HEAD");
  }

  // An answer the server gives by itself, then the connection closes.
  void fail(int status) {
    busy_ = true;
    Response res{status,
                 "text/plain; charset=utf-8",
                 std::to_string(status) + " " + reason(status) + "\n",
                 {}};
    if (status == 503) res.headers.emplace_back("Retry-After", "1");
    write(std::move(res), false, false);
  }

  void write(Response res, bool keep_alive, bool head) {
    auto msg = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(res.status), 11);
    msg->set(http::field::server, "otiose-serve");
    msg->set(http::field::content_type, res.content_type);
    msg->set("X-Content-Type-Options", "nosniff");
    for (auto& [name, value] : res.headers) msg->set(name, value);
    const std::size_t size = res.body.size();
    msg->body() = head ? std::string() : std::move(res.body);
    msg->content_length(size);
    msg->keep_alive(keep_alive && !server_.stopping);
    stream_.expires_after(server_.o.write_timeout);
    http::async_write(stream_, *msg,
                      [self = shared_from_this(), msg](beast::error_code ec, std::size_t) {
                        self->busy_ = false;
                        if (ec || !msg->keep_alive()) return self->close();
                        self->read();
                      });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool overloaded_;
  bool first_ = true;
  bool busy_ = false;
};

void Server::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || stopping) return;
      accept();  // a connection that failed before we saw it (EMFILE, reset)
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::size_t now = open.load();
    if (now >= 2 * o.max_connections) {
      socket.close(ec);  // far past the cap: not even a 503
    } else {
      auto s = std::make_shared<Session>(*this, std::move(socket), now >= o.max_connections);
      ++open;
      {
        std::lock_guard<std::mutex> lock(mutex);
        sessions.emplace(s.get(), s);
      }
      s->start();
    }
    if (!stopping) accept();
  });
}

void Server::Impl::session_closed(Session* s) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    sessions.erase(s);
  }
  if (--open == 0 && stopping)
    net::post(drain_timer.get_executor(), [this] { drain_timer.cancel(); });
}

void Server::Impl::begin_stop() {
  if (stopping.exchange(true)) return;
  net::post(acceptor.get_executor(), [this] {
    beast::error_code ec;
    acceptor.close(ec);
  });
  signals.cancel();
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& [p, w] : sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->drain();
  // The timer is touched on its own strand only.
  net::post(drain_timer.get_executor(), [this] {
    if (open == 0) return;
    drain_timer.expires_after(o.drain_timeout);
    drain_timer.async_wait([this](beast::error_code ec) {
      if (!ec) ioc.stop();  // the drain ran out: drop what is left
    });
  });
}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {
  auto& o = impl_->o;
  beast::error_code ec;
  auto address = net::ip::make_address(o.host, ec);
  if (ec) throw std::runtime_error("\"" + o.host + "\" is not an IP address");
  tcp::endpoint endpoint(address, o.port);
  auto& a = impl_->acceptor;
  std::string where = o.host + ":" + std::to_string(o.port);
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
}

Server::~Server() = default;

unsigned short Server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void Server::run(bool signals) {
  auto& impl = *impl_;
  if (signals) {
    impl.signals.add(SIGTERM);
    impl.signals.add(SIGINT);
    impl.signals.async_wait([this](beast::error_code ec, int) {
      if (!ec) stop();
    });
  }
  impl.accept();
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < std::max(1u, impl.o.threads); ++i)
    threads.emplace_back([&impl] { impl.ioc.run(); });
  impl.ioc.run();
  for (auto& t : threads) t.join();
}

void Server::stop() {
  impl_->begin_stop();
}

}  // namespace otiose::web

// otiose-serve: the catalogue as a website and a JSON API.
#include <otiose/error.h>
#include <otiose/index.h>

#include <CLI/CLI.hpp>

#include <iostream>

#include "tools/cli.h"
#include "web/http.h"
#include "web/site.h"

namespace {

constexpr const char* kTool = "otiose-serve";

// "127.0.0.1:8080", "[::1]:0", "0.0.0.0:80" -> host, port.
bool split_listen(const std::string& s, std::string& host, unsigned short& port) {
  std::size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 >= s.size() || colon + 6 < s.size()) return false;
  host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string digits = s.substr(colon + 1);
  if (host.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return false;
  unsigned long p = std::stoul(digits);
  if (p > 65535) return false;
  port = static_cast<unsigned short>(p);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Serve the Otiose catalogue as a website and a JSON API."};
  app.footer(R"(Pages: / (the catalogue, a search box, a job-ad box), /search?q=,
/specimen/SLUG, /match (POST a job ad). API: /api/search?q=, /api/related/SLUG,
/api/specimens/SLUG, POST /api/match, /healthz (README.md, "The website").

Listens on the loopback interface unless told otherwise: --listen 0.0.0.0:8080
serves every interface. Port 0 picks a free one; the address is printed on
stdout once the server listens. SIGTERM or SIGINT: stops accepting, lets the
requests in flight finish, exits 0.

Examples:
  otiose-serve
  otiose-serve --listen 127.0.0.1:0 --threads 4

Exit codes: 0 stopped by a signal; 2 usage (or the address cannot be bound);
4 no index or a damaged one.)");
  std::string index_flag, listen = "127.0.0.1:8080";
  otiose::web::ServerOptions o;
  std::size_t max_body_kib = o.max_body / 1024;
  double read_timeout = 10, write_timeout = 10, idle_timeout = 30;
  app.add_option("--index", index_flag,
                 "Index directory (default: $OTIOSE_INDEX or ~/.local/share/otiose/index)");
  app.add_option("--listen", listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
  app.add_option("--threads", o.threads, "Worker threads (default 2)")->check(CLI::Range(1, 256));
  app.add_option("--max-connections", o.max_connections,
                 "Open connections before new ones get 503 (default 256)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--max-body", max_body_kib, "Largest request body in KiB (default 4096)")
      ->check(CLI::Range(1, 1024 * 1024));
  app.add_option("--read-timeout", read_timeout, "Seconds to read a request (default 10)")
      ->check(CLI::Range(0.01, 3600.0));
  app.add_option("--write-timeout", write_timeout, "Seconds to write a response (default 10)")
      ->check(CLI::Range(0.01, 3600.0));
  app.add_option("--idle-timeout", idle_timeout,
                 "Seconds a kept-alive connection may idle (default 30)")
      ->check(CLI::Range(0.01, 3600.0));
  otiose::SearcherOptions searcher_options;
  app.add_option("--shard-timeout", searcher_options.remote_timeout_ms,
                 "A sharded index: milliseconds a remote shard may take (default 10000)")
      ->check(CLI::Range(1, 3600000));
  app.set_version_flag("--version", std::string(kTool) + " " + OTIOSE_VERSION);
  otiose::cli::add_colour_option(app);
  otiose::cli::add_generate_option(app);
  auto check = [&] {
    if (!split_listen(listen, o.host, o.port))
      throw CLI::ValidationError("--listen \"" + listen +
                                 "\" is not HOST:PORT (e.g. 127.0.0.1:8080)");
  };
  if (auto done = otiose::cli::parse(app, argc, argv, check)) return *done;
  o.max_body = max_body_kib * 1024;
  auto ms = [](double s) { return std::chrono::milliseconds(static_cast<long long>(s * 1000)); };
  o.read_timeout = ms(read_timeout);
  o.write_timeout = ms(write_timeout);
  o.idle_timeout = ms(idle_timeout);
  return otiose::cli::guarded(kTool, [&]() -> int {
    otiose::web::Site site(otiose::resolve_index_path(index_flag), searcher_options);
    std::unique_ptr<otiose::web::Server> server;
    try {
      server = std::make_unique<otiose::web::Server>(
          o, [&site](const otiose::web::Request& r) { return site.handle(r); });
    } catch (const std::runtime_error& e) {
      otiose::cli::print_error(kTool, e.what());
      return otiose::cli::kUsage;
    }
    std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
    std::cout << kTool << ": listening on http://" << host << ":" << server->port() << "/"
              << std::endl;
    server->run(true);
    std::cerr << kTool << ": stopped\n";
    return otiose::cli::kOk;
  });
}

// web/: what otiose-serve answers: the pages (server-rendered HTML that
// works without JavaScript) and the JSON API, over the public library only.
// Each request reads one generation of the index (Searcher::pin), so a page
// never mixes two.
#ifndef OTIOSE_WEB_SITE_H_
#define OTIOSE_WEB_SITE_H_

#include <otiose/search.h>

#include <string>

#include "web/http.h"

namespace otiose::web {

class Site {
 public:
  // Opens the index; throws otiose::Error as Searcher does.
  explicit Site(const std::string& index_dir, const SearcherOptions& options = {});

  // Never throws: an engine error becomes a status and a message that
  // names neither a path nor an exception's text.
  Response handle(const Request& request) const;

 private:
  Response route(const Request& request, const Searcher& searcher) const;

  Searcher searcher_;
};

}  // namespace otiose::web

#endif  // OTIOSE_WEB_SITE_H_

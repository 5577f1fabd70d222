// web/: the fixed set of files otiose-serve serves besides its pages,
// compiled in: nothing is read from a path a client names.
#ifndef OTIOSE_WEB_ASSETS_H_
#define OTIOSE_WEB_ASSETS_H_

#include <string>
#include <string_view>

namespace otiose::web {

// /static/style.css: small, hand-written, no build step.
extern const std::string_view kStyleCss;

// /opensearch.xml for a site at `base` ("http://host:port").
std::string opensearch_xml(const std::string& base);

}  // namespace otiose::web

#endif  // OTIOSE_WEB_ASSETS_H_

// A frontend that links the installed library: searches an index and prints
// the first hit's title and its first related specimen.
#include <otiose/error.h>
#include <otiose/search.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: consumer INDEX QUERY\n";
    return 2;
  }
  try {
    otiose::Searcher searcher(argv[1]);
    auto results = searcher.search(argv[2]);
    if (results.hits.empty()) return 1;
    const auto& hit = results.hits.front();
    std::cout << hit.title << '\n';
    if (!hit.related.empty())
      std::cout << hit.related.front().match << "% " << hit.related.front().title << '\n';
    return 0;
  } catch (const otiose::Error& e) {
    std::cerr << "consumer: " << e.what() << '\n';
    return 3;
  }
}

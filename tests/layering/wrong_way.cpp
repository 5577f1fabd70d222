// Compiled with similarity/'s include path by the test
// layering_wrong_way_include_does_not_compile: similarity/ sits below
// indexer/, so this include must fail. If it ever compiles, the layers leak.
#include "indexer/documents.h"

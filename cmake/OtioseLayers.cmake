# The library's layers, each an OBJECT library built from one folder:
#
#   base <- similarity <- indexer <- query      (then tools/, the web and
#   base <- layout     <- indexer, query          other frontends: public API)
#
# (layout/ is the on-disk contract that indexer/ writes and query/ reads). A layer's private include path is a
# directory of links, one per folder it may include (its own and the layers
# below it), so `#include "query/..."` from indexer/ does not compile. The
# public headers (include/otiose/) are on every path.
#
# otiose_layer(NAME INCLUDES <folder>... SOURCES <file>... LINK <target>...)
# INCLUDES names the folder itself and the layers below it.
function(otiose_layer name)
  cmake_parse_arguments(PARSE_ARGV 1 L "" "" "INCLUDES;SOURCES;LINK")
  set(target otiose_${name})
  add_library(${target} OBJECT ${L_SOURCES})
  otiose_include_view(${target} ${L_INCLUDES})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/include
                             ${PROJECT_BINARY_DIR}/include)
  target_compile_features(${target} PUBLIC cxx_std_20)
  # One shared library is made of these objects: mark its exports.
  if(BUILD_SHARED_LIBS)
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    target_compile_definitions(${target} PRIVATE otiose_EXPORTS)
  endif()
  target_link_libraries(${target} PRIVATE otiose_warnings ${L_LINK})
  set_property(GLOBAL APPEND PROPERTY OTIOSE_LAYERS ${target})
endfunction()

# Gives `target` a private include path holding only links to the folders
# named (`folders`): the layering, enforced by the compiler.
function(otiose_include_view target)
  set(view ${PROJECT_BINARY_DIR}/layers/${target})
  file(MAKE_DIRECTORY ${view})
  foreach(folder IN LISTS ARGN)
    if(NOT EXISTS ${view}/${folder})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${view}/${folder} SYMBOLIC)
    endif()
  endforeach()
  target_include_directories(${target} PRIVATE ${view})
endfunction()

# otiose-related uses otiose::Matcher alone, which reads the model and no
# Xapian: the binary must not load libxapian (nor, in a static build,
# libstdc++). Run as cmake -DTOOL=... -DSTATIC=ON|OFF -P no_xapian.cmake.
find_program(READELF readelf REQUIRED)
execute_process(COMMAND ${READELF} -d ${TOOL} OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf -d ${TOOL} failed (${rc})")
endif()
string(REGEX MATCHALL "Shared library: \\[[^]]*\\]" needed "${dynamic}")
message(STATUS "${TOOL} needs: ${needed}")
if(needed MATCHES "libxapian")
  message(FATAL_ERROR "${TOOL} loads libxapian: something it calls reads Xapian (query/model_answers.h)")
endif()
if(STATIC AND needed MATCHES "libstdc\\+\\+")
  message(FATAL_ERROR "${TOOL} loads libstdc++: CMakeLists.txt links it statically")
endif()
if(NOT needed MATCHES "libc\\.so")
  message(FATAL_ERROR "${TOOL}: no NEEDED entries read")
endif()

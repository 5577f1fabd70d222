# Debian's Xapian package sets variables only (XAPIAN_LIBRARIES,
# XAPIAN_INCLUDE_DIR); wrap them in an imported target, Xapian::Xapian.
if(NOT TARGET Xapian::Xapian)
  find_package(xapian REQUIRED CONFIG)
  add_library(Xapian::Xapian INTERFACE IMPORTED)
  set_target_properties(Xapian::Xapian PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${XAPIAN_INCLUDE_DIR}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${XAPIAN_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${XAPIAN_LIBRARIES}")
endif()

# The rooms of the library, one static library each, linking only the rooms below it:
#
#     common <- config <- jit <- driver <- dispatch <- fallback <- api
#     common <- reference <- api
#
# A room's headers are reachable only through its own include root,
# ${PROJECT_BINARY_DIR}/rooms/<room>, which holds one entry, <room>, a link to the room's
# folder; that root is the room's PUBLIC include directory. So a source of a room sees its own
# headers, those of the rooms it links (transitively) and include/ (the public API), and an
# `#include "api/..."` in dispatch/ fails to compile. The ctests of SparsetrainRoomProbes.cmake
# check that this holds.

set(SPARSETRAIN_ROOMS_DIR ${PROJECT_BINARY_DIR}/rooms)

# The include root of `room` (a folder of the source tree): created at configure time.
function(sparsetrain_room_root room dir out)
  set(root ${SPARSETRAIN_ROOMS_DIR}/${room})
  file(MAKE_DIRECTORY ${root})
  # Re-pointed when it names another folder (a build folder reused after the source moved).
  set(current "")
  if(IS_SYMLINK ${root}/${room})
    file(READ_SYMLINK ${root}/${room} current)
  endif()
  if(NOT current STREQUAL dir)
    file(REMOVE ${root}/${room})
    file(CREATE_LINK ${dir} ${root}/${room} SYMBOLIC)
  endif()
  set(${out} ${root} PARENT_SCOPE)
endfunction()

# sparsetrain_add_room(<room> <folder> [DEPS rooms...] [PRIVATE_DEPS targets...]): the static
# library sparsetrain_<room> from <folder>/*.cpp, position-independent (it goes into the
# shared library), with hidden symbols and the project's warnings.
function(sparsetrain_add_room room dir)
  cmake_parse_arguments(R "" "" "DEPS;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  sparsetrain_room_root(${room} ${dir} root)
  add_library(sparsetrain_${room} STATIC ${srcs})
  # Hidden symbols: only what include/sparsetrain/ marks SPARSETRAIN_API leaves the shared library.
  set_target_properties(sparsetrain_${room} PROPERTIES POSITION_INDEPENDENT_CODE ON
      CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  target_include_directories(sparsetrain_${room} PUBLIC $<BUILD_INTERFACE:${root}>)
  list(TRANSFORM R_DEPS PREPEND sparsetrain_)
  target_link_libraries(sparsetrain_${room} PUBLIC ${R_DEPS} ${R_PUBLIC_DEPS} PRIVATE ${R_PRIVATE_DEPS})
  sparsetrain_set_warnings(sparsetrain_${room})
endfunction()

# ctest: libsparsetrain exports only the public API (cmake/check_exports.cmake).
add_test(NAME shared_library_exports_public_api_only
         COMMAND ${CMAKE_COMMAND} -DLIB=$<TARGET_FILE:sparsetrain> -DNM=${CMAKE_NM}
                 -P ${PROJECT_SOURCE_DIR}/cmake/check_exports.cmake)

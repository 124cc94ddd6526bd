# Installable package: find_package(sparsetrain) -> sparsetrain::sparsetrain.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS sparsetrain EXPORT sparsetrainTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/sparsetrain
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT sparsetrainTargets NAMESPACE sparsetrain::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sparsetrain)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/sparsetrainConfig.cmake.in
        ${PROJECT_BINARY_DIR}/sparsetrainConfig.cmake
        INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sparsetrain)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sparsetrainConfigVersion.cmake
        COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sparsetrainConfig.cmake
              ${PROJECT_BINARY_DIR}/sparsetrainConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sparsetrain)

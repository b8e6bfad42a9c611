# `cmake --install`: librawgpu, its headers (under include/rawgpu/<room>/), the `rawgpu` command,
# a CMake package (find_package(rawgpu) -> rawgpu::rawgpu) and a pkg-config file (rawgpu.pc).
include(CMakePackageConfigHelpers)

install(TARGETS rawgpu EXPORT rawgpuTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS rawgpu_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

foreach(room core memory queues kfd nv_ioctl qcom_kgsl sim devices)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${room}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/rawgpu/${room}
          FILES_MATCHING PATTERN "*.h")
endforeach()

set(RAWGPU_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/rawgpu)
install(EXPORT rawgpuTargets NAMESPACE rawgpu:: DESTINATION ${RAWGPU_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/rawgpuConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/rawgpuConfig.cmake
                              INSTALL_DESTINATION ${RAWGPU_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rawgpuConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/rawgpuConfig.cmake ${PROJECT_BINARY_DIR}/rawgpuConfigVersion.cmake
        DESTINATION ${RAWGPU_CMAKE_DIR})

# Relocatable: the prefix is found from the .pc file's own location.
file(RELATIVE_PATH RAWGPU_PC_TO_PREFIX "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/rawgpu.pc.in ${PROJECT_BINARY_DIR}/rawgpu.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/rawgpu.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

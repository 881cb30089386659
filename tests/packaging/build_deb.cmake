# The package_deb test: builds the Debian package from scratch into OUT with
# cpack, as `cpack -G DEB --config CONFIG -B OUT`, and fails unless exactly
# one .deb results.
#   cmake -DCPACK=... -DCONFIG=<build>/CPackConfig.cmake -DOUT=DIR -P build_deb.cmake
file(REMOVE_RECURSE "${OUT}")
file(MAKE_DIRECTORY "${OUT}")
execute_process(COMMAND "${CPACK}" -G DEB --config "${CONFIG}" -B "${OUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cpack failed (${rc})")
endif()
file(GLOB debs "${OUT}/*.deb")
list(LENGTH debs count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "cpack made ${count} .deb files in ${OUT}, not one: ${debs}")
endif()
# cpack's staging tree, a second copy of everything installed, is not needed.
file(REMOVE_RECURSE "${OUT}/_CPack_Packages")
message(STATUS "Built ${debs}")

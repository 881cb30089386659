# CPack: the Debian package `regline` (cpack -G DEB in the build directory,
# or `cmake --build BUILD --target package`). It holds what cmake/Install.cmake
# installs, with the prefix /usr: see docs/install.md for the layout and
# packaging/debian/README.md for the maintainer scripts. Depends is computed
# by dpkg-shlibdeps (dpkg-dev) from the libraries the programs link, plus
# what the maintainer scripts call.
#
# Included from the top-level CMakeLists.txt after cmake/Install.cmake.

set(REGLINE_PACKAGE_MAINTAINER "Regline maintainers <maintainers@users.noreply.r-seed-d5b07de9.example>"
    CACHE STRING "Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME regline)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Regline")
set(CPACK_PACKAGE_CONTACT "${REGLINE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "message gateway between live-marketing regulators and platforms")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "Regline carries directives, negative-catalog versions and tax-assistance\n"
    "requests from the regulators of online live marketing to live-commerce\n"
    "platforms, and their staged acknowledgements, reports and signed\n"
    "attestations back, durably and with signed evidence of every receipt.\n"
    "This package holds the gateway daemon (regline-gateway), the platform\n"
    "connector daemon (regline-connector), the console (reglinectl), their\n"
    "systemd units, the default configuration and the Measures' policy.\n"
    "Nothing is enabled or started on installation.")
# Installs into a staging directory with DESTDIR and the prefix /usr,
# whatever prefix the build tree was configured with.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Debian strips binaries; the build tree keeps the unstripped ones.
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_PACKAGE_NAME regline)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${REGLINE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The maintainer scripts run systemd-sysusers and systemd-tmpfiles; the
# standalone packages serve a system without systemd as init.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd | systemd-standalone-sysusers, systemd | systemd-standalone-tmpfiles")
# openssl makes the tokens (openssl rand) and checks exported evidence.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS openssl)

# The configuration files an administrator edits: dpkg keeps their edits on
# upgrade and asks before replacing them. Every file the package puts under
# /etc must be listed (tests/packaging/package_test.cc checks it).
set(REGLINE_CONFFILES "/etc/regline/regline-gateway.toml\n/etc/regline/connector-example.toml\n")
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/packaging/conffiles CONTENT "${REGLINE_CONFFILES}")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/packaging/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
# Maintainer scripts 0755, conffiles 0644, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)

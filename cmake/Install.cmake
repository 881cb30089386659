# `cmake --install`: the three programs, the systemd units, sysusers and
# tmpfiles files, the default configuration, the shipped policy and the
# documentation, in the places the FHS and Debian give them (docs/install.md
# has the table). Test programs, benchmarks and fuzzers are not installed.
#
# Relative to the prefix, as GNUInstallDirs names them:
#   bin/                     regline-gateway, regline-connector, reglinectl
#   share/regline/policies/  measures.toml (the policy compiled in as default)
#   share/doc/regline/       README.md, CHANGELOG.md and the documents they link to
# Outside the prefix when it is /usr (a package), under it otherwise:
#   /etc/regline/            regline-gateway.toml, connector-example.toml
#   /lib/systemd/system/     regline-gateway.service, regline-connector@.service
#   /usr/lib/sysusers.d/     regline.conf (the regline user)
#   /usr/lib/tmpfiles.d/     regline.conf (/var/lib/regline, /etc/regline)
# The state directories under /var/lib are made by systemd-tmpfiles and the
# units' StateDirectory=, never installed.
#
# The prefix is known only at install time (`cmake --install --prefix`, and
# cpack installs with /usr whatever the build was configured with), so the
# files outside it and the paths written into the units and configuration
# are chosen then, by cmake/InstallSystemFiles.cmake.
#
# Included from the top-level CMakeLists.txt after the targets exist.

include(GNUInstallDirs)

install(TARGETS regline-gateway regline-connector reglinectl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(FILES ${PROJECT_SOURCE_DIR}/policies/measures.toml DESTINATION ${CMAKE_INSTALL_DATADIR}/regline/policies)

# README.md links to docs/*.md, connectors/README.md and the like by
# relative paths; the same tree under the doc directory keeps them working.
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB REGLINE_DOCS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${REGLINE_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
foreach(dir IN ITEMS connectors ctl schemas)
  install(FILES ${PROJECT_SOURCE_DIR}/${dir}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/${dir})
endforeach()

install(CODE "
  set(REGLINE_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
  set(REGLINE_STAGING_DIR \"${PROJECT_BINARY_DIR}/install-staging\")
  set(REGLINE_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(REGLINE_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
  set(REGLINE_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
  include(\"${CMAKE_CURRENT_LIST_DIR}/InstallSystemFiles.cmake\")
")

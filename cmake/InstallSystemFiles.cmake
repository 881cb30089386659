# Install-time part of cmake/Install.cmake: the files that live outside the
# prefix when it is /usr (configuration, systemd units, sysusers and
# tmpfiles), with the paths inside them made to match where things were
# installed. Runs inside cmake_install.cmake, so CMAKE_INSTALL_PREFIX is the
# prefix of this install (`cmake --install --prefix`, or /usr under cpack)
# and DESTDIR, when set, is honoured by file(INSTALL).
#
# Expects REGLINE_SOURCE_DIR, REGLINE_STAGING_DIR and the GNUInstallDirs
# values REGLINE_BINDIR, REGLINE_SYSCONFDIR, REGLINE_DOCDIR (relative to the
# prefix, or absolute) from cmake/Install.cmake.
#
# With the prefix /usr every file is installed exactly as it is in the
# source tree (the units name /usr/bin/regline-gateway and
# /etc/regline/...), except the connector example's data_dir, which is set
# to the state directory of the unit instance regline-connector@example.
#
# A configuration file that already exists with other contents is kept (an
# administrator's edits survive `cmake --install`); the new default is
# installed beside it as NAME.new.

string(REGEX REPLACE "(.)/+$" "\\1" _prefix "${CMAKE_INSTALL_PREFIX}")

# The GNUInstallDirs special case for the prefix /usr, applied at install
# time: configuration in /etc; units where Debian 12's debhelper puts them.
if(_prefix STREQUAL "/usr")
  set(_sysconfdir "/etc")
  set(_unitdir "/lib/systemd/system")
  set(_sysusersdir "/usr/lib/sysusers.d")
  set(_tmpfilesdir "/usr/lib/tmpfiles.d")
else()
  set(_sysconfdir "${_prefix}/${REGLINE_SYSCONFDIR}")
  set(_unitdir "${_prefix}/lib/systemd/system")
  set(_sysusersdir "${_prefix}/lib/sysusers.d")
  set(_tmpfilesdir "${_prefix}/lib/tmpfiles.d")
endif()
if(IS_ABSOLUTE "${REGLINE_SYSCONFDIR}")
  set(_sysconfdir "${REGLINE_SYSCONFDIR}")
endif()
foreach(_dir IN ITEMS BINDIR DOCDIR)
  string(TOLOWER "${_dir}" _lower)
  if(IS_ABSOLUTE "${REGLINE_${_dir}}")
    set(_${_lower} "${REGLINE_${_dir}}")
  else()
    set(_${_lower} "${_prefix}/${REGLINE_${_dir}}")
  endif()
endforeach()

# One staging directory per destination, so that installs into different
# places from the same build tree do not share files.
string(SHA1 _tag "$ENV{DESTDIR}|${_prefix}")
set(_staging "${REGLINE_STAGING_DIR}/${_tag}")
file(REMOVE_RECURSE "${_staging}")

# _regline_install_file(SOURCE NAME DESTINATION KIND [FROM TO]...): SOURCE
# with every FROM replaced by TO, installed as DESTINATION/NAME. Each FROM
# must occur in SOURCE: a source file that no longer says what this script
# expects fails the install rather than install a file that points
# elsewhere. KIND "config" keeps an existing file that differs (see above).
function(_regline_install_file source name destination kind)
  file(READ "${REGLINE_SOURCE_DIR}/${source}" text)
  set(pairs ${ARGN})
  while(pairs)
    list(POP_FRONT pairs from to)
    string(FIND "${text}" "${from}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${source} no longer contains \"${from}\"; update cmake/InstallSystemFiles.cmake")
    endif()
    string(REPLACE "${from}" "${to}" text "${text}")
  endwhile()
  string(SHA1 slot "${destination}/${name}")
  set(staged "${_staging}/${slot}/${name}")
  file(WRITE "${staged}" "${text}")
  set(target "$ENV{DESTDIR}${destination}/${name}")
  if(kind STREQUAL "config" AND EXISTS "${target}")
    file(READ "${target}" existing)
    if(NOT existing STREQUAL text)
      message(STATUS "Keeping: ${target} (changed since installed); the new default goes beside it as ${name}.new")
      set(name "${name}.new")
    endif()
  endif()
  file(INSTALL FILES "${staged}" DESTINATION "${destination}" RENAME "${name}"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endfunction()

_regline_install_file(systemd/regline-gateway.service regline-gateway.service "${_unitdir}" unit
  "/usr/bin/regline-gateway" "${_bindir}/regline-gateway"
  "/etc/regline" "${_sysconfdir}/regline"
  "/usr/share/doc/regline" "${_docdir}")
_regline_install_file(systemd/regline-connector@.service regline-connector@.service "${_unitdir}" unit
  "/usr/bin/regline-connector" "${_bindir}/regline-connector"
  "/etc/regline" "${_sysconfdir}/regline"
  "/usr/share/doc/regline" "${_docdir}")
_regline_install_file(systemd/regline.sysusers.conf regline.conf "${_sysusersdir}" system)
_regline_install_file(systemd/regline.tmpfiles.conf regline.conf "${_tmpfilesdir}" system
  "/etc/regline" "${_sysconfdir}/regline")
_regline_install_file(gateway/regline-gateway.toml regline-gateway.toml "${_sysconfdir}/regline" config
  "/etc/regline" "${_sysconfdir}/regline")
_regline_install_file(connectors/regline-connector.toml connector-example.toml "${_sysconfdir}/regline" config
  "data_dir = \"/var/lib/regline-connector\"" "data_dir = \"/var/lib/regline-connector/example\"")

file(REMOVE_RECURSE "${_staging}")

# Install layout and deb/rpm packages (CPack). The version comes from
# project() in the top-level CMakeLists.txt and nowhere else.
include(GNUInstallDirs)

set(ITH_PKG_SHARE ${CMAKE_INSTALL_DATADIR}/influx-token-helper)
set(ITH_PKG_DOC ${CMAKE_INSTALL_DOCDIR})  # share/doc/influx-token-helper

# systemd, sysusers.d and tmpfiles.d files go to <prefix>/lib whatever the
# libdir (lib64, lib/<triplet>): that is where systemd looks.

# Man pages and changelog with the version filled in, compressed as Debian wants.
foreach(src man/influx-token-helper.1 man/helper.conf.5 man/influx-token-helper-admin.8 changelog)
  get_filename_component(name ${src} NAME)
  set(VERSION ${PROJECT_VERSION})
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${src} ${CMAKE_BINARY_DIR}/pkg/${name} @ONLY)
  add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/pkg/${name}.gz
    COMMAND gzip -9n -c ${CMAKE_BINARY_DIR}/pkg/${name} > ${CMAKE_BINARY_DIR}/pkg/${name}.gz
    DEPENDS ${CMAKE_BINARY_DIR}/pkg/${name})
  list(APPEND ITH_PKG_GZ ${CMAKE_BINARY_DIR}/pkg/${name}.gz)
endforeach()
add_custom_target(pkg-docs ALL DEPENDS ${ITH_PKG_GZ})

install(FILES ${CMAKE_BINARY_DIR}/pkg/influx-token-helper.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_BINARY_DIR}/pkg/helper.conf.5.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${CMAKE_BINARY_DIR}/pkg/influx-token-helper-admin.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
# Commands by hand under the packaged layout, through systemd: the service's user and credential.
install(PROGRAMS ${CMAKE_CURRENT_LIST_DIR}/sbin/influx-token-helper-admin DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(FILES ${CMAKE_BINARY_DIR}/pkg/changelog.gz DESTINATION ${ITH_PKG_DOC} RENAME changelog.gz)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/copyright README.md DESTINATION ${ITH_PKG_DOC})
install(FILES conf/helper-telegraf.conf conf/helper-telegraf-credential.conf conf/helper-cron.conf
        DESTINATION ${ITH_PKG_DOC}/examples)
install(FILES conf/grafana-datasource.yaml.tmpl DESTINATION ${ITH_PKG_DOC}/examples)
install(DIRECTORY plugin/telegraf DESTINATION ${ITH_PKG_SHARE})
install(FILES ${CMAKE_CURRENT_LIST_DIR}/maint-common.sh DESTINATION ${ITH_PKG_SHARE})
# The restart units for consumers that read their token once, enabled per
# consumer: influx-token-helper-restart-env@<unit>.path (an env sink) or
# influx-token-helper-restart-cred@<unit>.path (a file sink for LoadCredential=).
install(FILES ${CMAKE_CURRENT_LIST_DIR}/systemd/influx-token-helper.service
              ${CMAKE_CURRENT_LIST_DIR}/systemd/influx-token-helper.timer
              ${CMAKE_CURRENT_LIST_DIR}/systemd/influx-token-helper-restart-env@.path
              ${CMAKE_CURRENT_LIST_DIR}/systemd/influx-token-helper-restart-cred@.path
              ${CMAKE_CURRENT_LIST_DIR}/systemd/influx-token-helper-restart@.service
        DESTINATION lib/systemd/system)
# Several clusters: influx-token-helper@NAME.timer runs rotate with /etc/influx-token-helper/NAME.conf.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/systemd/influx-token-helper@.service
              ${CMAKE_CURRENT_LIST_DIR}/systemd/influx-token-helper@.timer
        DESTINATION lib/systemd/system)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/sysusers.conf DESTINATION lib/sysusers.d RENAME influx-token-helper.conf)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/tmpfiles.conf DESTINATION lib/tmpfiles.d RENAME influx-token-helper.conf)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/completion/influx-token-helper
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
# The configuration: a conffile, not world-readable (postinst gives it group influx-token-helper).
install(FILES conf/helper.conf DESTINATION /etc/influx-token-helper
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)

set(CPACK_PACKAGE_NAME influx-token-helper)
set(CPACK_PACKAGE_VENDOR "influx-token-helper developers")
set(CPACK_PACKAGE_CONTACT "influx-token-helper developers <maintainers@influx-token-helper.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "keeps InfluxDB Cloud Dedicated database tokens short-lived and valid")
set(CPACK_PACKAGE_DESCRIPTION "From a configuration of desired scopes, influx-token-helper creates an
expiring InfluxDB Cloud Dedicated database token through the Management API,
renews it before it expires, hands it to the consuming tool (a token file for
Telegraf's docker secret store, stdout for anything else) and revokes the
tokens it no longer needs. A systemd timer runs it every few minutes.")
set(CPACK_PACKAGE_HOMEPAGE_URL "https://github.com/influx-token-helper/influx-token-helper")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)

# Debian: json-c, libconfig and libc come from dpkg-shlibdeps; libcurl is
# loaded at run time (dlopen), so it is named here.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4 (>= 7.68) | libcurl4t64 (>= 7.68), passwd")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_CURRENT_LIST_DIR}/deb/postinst ${CMAKE_CURRENT_LIST_DIR}/deb/prerm
  ${CMAKE_CURRENT_LIST_DIR}/deb/postrm ${CMAKE_CURRENT_LIST_DIR}/deb/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# RPM: the same, by package name; automatic requirements add the sonames.
set(CPACK_RPM_PACKAGE_REQUIRES "libcurl >= 7.68, json-c, libconfig, shadow-utils")
set(CPACK_RPM_PACKAGE_LICENSE MIT)
# CPackRPM takes neither from CPACK_PACKAGE_DESCRIPTION: without these the rpm
# carries CPack's placeholder text.
set(CPACK_RPM_PACKAGE_SUMMARY "${CPACK_PACKAGE_DESCRIPTION_SUMMARY}")
set(CPACK_RPM_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PRE_INSTALL_SCRIPT_FILE ${CMAKE_CURRENT_LIST_DIR}/rpm/pre.sh)
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE ${CMAKE_CURRENT_LIST_DIR}/rpm/post.sh)
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE ${CMAKE_CURRENT_LIST_DIR}/rpm/preun.sh)
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE ${CMAKE_CURRENT_LIST_DIR}/rpm/postun.sh)
set(CPACK_RPM_USER_FILELIST
  "%config(noreplace) %attr(0640,root,influx-token-helper) /etc/influx-token-helper/helper.conf")
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
  /etc /usr/lib/systemd /usr/lib/systemd/system /usr/lib/sysusers.d /usr/lib/tmpfiles.d
  /usr/share/bash-completion /usr/share/bash-completion/completions /usr/share/man /usr/share/man/man1
  /usr/share/man/man5 /usr/share/man/man8 /usr/sbin)

set(CPACK_GENERATOR DEB RPM)
include(CPack)

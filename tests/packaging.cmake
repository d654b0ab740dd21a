# Packaging (packaging/, debian/, scripts/package.sh):
#   packaging.man         the man pages format without warnings (groff -ww,
#                         man --warnings) and document every command, option,
#                         format value, config key and backend type that the
#                         programs' help texts name
#   packaging.completion  bash -n, and the completion offers what the help
#                         texts name (COMPREPLY of real command lines)
#   packaging.install     cmake --install into a DESTDIR: files, SONAME and
#                         exports of libhonyaku.so.1, a program built with
#                         pkg-config against it talks to the installed
#                         honyakud, an edited honyaku.conf is kept
#   packaging.units       the generated units pass systemd-analyze verify
#   packaging.deb         scripts/package.sh: dpkg-buildpackage and lintian
#                         (label "package": it builds the project again)
if(TARGET honyaku AND TARGET honyakud AND TARGET honyaku-worker)
  set(_hny_progs $<TARGET_FILE:honyaku> $<TARGET_FILE:honyakud> $<TARGET_FILE:honyaku-worker>)
  add_test(NAME packaging.man
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_packaging_docs.py man ${_hny_progs}
                   ${PROJECT_SOURCE_DIR}/packaging/man)
  add_test(NAME packaging.completion
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_packaging_docs.py completion ${_hny_progs}
                   ${PROJECT_SOURCE_DIR}/packaging/honyaku.bash-completion)
  set_tests_properties(packaging.man packaging.completion PROPERTIES TIMEOUT 60)
endif()

# The install paths are those packaging/CMakeLists.txt chose.
if(TARGET honyaku_shared)
  set(_hny_cflags "")
  if(HNY_SANITIZE)
    set(_hny_cflags "-fsanitize=address,undefined")
  endif()
  set(_hny_paths
      PREFIX=${CMAKE_INSTALL_PREFIX} BINDIR=${CMAKE_INSTALL_FULL_BINDIR}
      LIBDIR=${CMAKE_INSTALL_FULL_LIBDIR} INCLUDEDIR=${CMAKE_INSTALL_FULL_INCLUDEDIR}
      MANDIR=${CMAKE_INSTALL_FULL_MANDIR} DOCDIR=${CMAKE_INSTALL_FULL_DOCDIR}
      CONFDIR=${HNY_CONFDIR} UNITDIR=${HNY_SYSTEMD_UNITDIR}
      COMPDIR=${HNY_BASH_COMPLETION_DIR} VERSION=${PROJECT_VERSION}
      CC=${CMAKE_C_COMPILER} "CFLAGS=${_hny_cflags}" CONSUMER=${HNY_TESTS_DIR}/pkg_consumer.c)
  foreach(what install units)
    add_test(NAME packaging.${what}
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_packaging_install.py ${what}
                     ${CMAKE_BINARY_DIR} ${_hny_paths})
    # One cmake --install at a time: both write BUILD/install_manifest.txt.
    set_tests_properties(packaging.${what} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                         RESOURCE_LOCK hny_install)
  endforeach()
endif()

# The Debian packages, built from a copy of the tree (scripts/package.sh):
# only where the tools are; it builds the whole project again (about a
# minute on 2 cores), hence the label: `ctest -LE package` leaves it out
# (scripts/test.sh does so in its sanitizer run, where it would build the
# same packages a second time).
find_program(HNY_DPKG_BUILDPACKAGE dpkg-buildpackage)
find_program(HNY_DH dh)
find_program(HNY_LINTIAN lintian)
if(HNY_DPKG_BUILDPACKAGE AND HNY_DH AND HNY_LINTIAN)
  add_test(NAME packaging.deb COMMAND ${PROJECT_SOURCE_DIR}/scripts/package.sh ${CMAKE_BINARY_DIR}/deb)
  set_tests_properties(packaging.deb PROPERTIES TIMEOUT 600 LABELS package)
endif()

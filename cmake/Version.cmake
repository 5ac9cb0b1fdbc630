# The version every binary reports (--version): the project's version, the commit it was built
# from and that commit's date (not the build's: the same commit builds the same binary), read
# when the build is configured (tools/build.sh configures before every build). Only
# ${gen}/version.cc changes with the commit, so a new commit recompiles one file.
set(KP_COMMIT "unknown")
set(KP_COMMIT_DATE "unknown")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${CMAKE_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${CMAKE_SOURCE_DIR} log -1 --format=%h
                  OUTPUT_VARIABLE KP_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${CMAKE_SOURCE_DIR} log -1 --format=%cs
                  OUTPUT_VARIABLE KP_COMMIT_DATE OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${CMAKE_SOURCE_DIR} status --porcelain --untracked-files=no
                  OUTPUT_VARIABLE kp_changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(kp_changes)
    string(APPEND KP_COMMIT "+changes")  # built from a tree with uncommitted changes
  endif()
endif()
configure_file(${CMAKE_SOURCE_DIR}/services/common/version.cc.in ${CMAKE_BINARY_DIR}/gen/version.cc @ONLY)

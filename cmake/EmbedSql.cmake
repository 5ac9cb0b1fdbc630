# kp_embed_migrations(<target> SCHEMA <name> DIR <folder>): compiles the numbered SQL files of a
# service into its library, so a binary carries its own schema and needs no files at run time.
function(kp_embed_migrations target)
  cmake_parse_arguments(A "" "SCHEMA;DIR" "" ${ARGN})
  file(GLOB files CONFIGURE_DEPENDS ${A_DIR}/*.sql)
  list(SORT files)
  # The files are read here, at configure time: an edited one must configure again, or the build
  # would keep embedding its old text (the glob above notices only files added or removed).
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${files})
  set(entries "")
  foreach(f ${files})
    get_filename_component(name ${f} NAME)
    file(READ ${f} body)
    string(APPEND entries "    {\"${name}\", R\"kpsql(${body})kpsql\"},\n")
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${A_SCHEMA}_migrations.cc)
  file(CONFIGURE OUTPUT ${out} CONTENT
"// Generated from ${A_DIR} by cmake/EmbedSql.cmake. Do not edit.
#include \"common/migrations.h\"
namespace kp::${A_SCHEMA} {
const kp::MigrationSet& Migrations() {
  static const kp::MigrationSet set{\"${A_SCHEMA}\", {
${entries}  }};
  return set;
}
}  // namespace kp::${A_SCHEMA}
")
  target_sources(${target} PRIVATE ${out})
endfunction()

# Writes a C++ source that holds every file of layers/styles/ (the default QGIS
# styles, the field dictionary and the layer titles) as a string, so that the
# relocplan binary writes them into every GeoPackage without files beside it.
#   cmake -DOUT=<file.cpp> -DFILES="<a.qml|b.toml>" -P embed_styles.cmake
set(body "")
string(REPLACE "|" ";" FILES "${FILES}")
list(SORT FILES)
foreach(f IN LISTS FILES)
  get_filename_component(name "${f}" NAME)
  file(READ "${f}" text)
  string(FIND "${text}" ")relocplan_style\"" bad)
  if(NOT bad EQUAL -1)
    message(FATAL_ERROR "${f} contains the embedding terminator")
  endif()
  string(APPEND body "    {\"${name}\", R\"relocplan_style(${text})relocplan_style\"},\n")
endforeach()
file(WRITE "${OUT}.tmp"
"// Generated from layers/styles/ by scripts/embed_styles.cmake. Do not edit.
#include \"relocplan/io/styles.hpp\"

namespace relocplan::io {

const std::vector<EmbeddedFile>& embedded_style_files() {
  static const std::vector<EmbeddedFile> files = {
${body}  };
  return files;
}

}  // namespace relocplan::io
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")

# Writes a C++ source that holds every layers/*.toml file as a string, so the
# relocplan binary carries its layer-kind defaults with it.
#   cmake -DOUT=<file.cpp> -DFILES="<a.toml|b.toml>" -P embed_layers.cmake
set(body "")
string(REPLACE "|" ";" FILES "${FILES}")
list(SORT FILES)
foreach(f IN LISTS FILES)
  get_filename_component(kind "${f}" NAME_WE)
  file(READ "${f}" text)
  # A raw string literal cannot contain its own terminator; refuse rather than mangle.
  string(FIND "${text}" ")relocplan_layer\"" bad)
  if(NOT bad EQUAL -1)
    message(FATAL_ERROR "${f} contains the embedding terminator")
  endif()
  string(APPEND body "    {\"${kind}\", R\"relocplan_layer(${text})relocplan_layer\"},\n")
endforeach()
file(WRITE "${OUT}.tmp"
"// Generated from layers/*.toml by scripts/embed_layers.cmake. Do not edit.
#include \"relocplan/config/layer_defaults.hpp\"

namespace relocplan::config {

const std::vector<EmbeddedLayerFile>& embedded_layer_files() {
  static const std::vector<EmbeddedLayerFile> files = {
${body}  };
  return files;
}

}  // namespace relocplan::config
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")

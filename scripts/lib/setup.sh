# Shared set-up for scripts/run-sample and scripts/test (sourced, not run).
# Installs the Debian 12 packages relocplan needs when any is missing, then
# configures and builds into build/ (Release). A second run installs nothing
# and rebuilds only what changed.

set -euo pipefail

RELOCPLAN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${RELOCPLAN_BUILD_DIR:-$RELOCPLAN_ROOT/build}"
# Extra CMake arguments for the first configure (scripts/test --sanitize).
CONFIGURE_ARGS=("${CONFIGURE_ARGS[@]}")

# Build tools and libraries, all from Debian's archive.
RELOCPLAN_PACKAGES=(
  g++ cmake ninja-build pkg-config
  libgdal-dev gdal-bin python3-gdal libproj-dev proj-data libgeos-dev libsqlite3-dev
  libboost-dev libtomlplusplus-dev libcli11-dev nlohmann-json3-dev libssl-dev catch2 liblemon-dev
)

install_missing_packages() {
  local missing=() pkg status
  for pkg in "$@"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  echo "relocplan set-up: installing ${missing[*]}" >&2
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "relocplan set-up: these Debian packages are missing; as root run:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

configure_and_build() {
  local targets=("$@")
  if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    local werror=OFF
    [[ "${CI:-}" == "true" ]] && werror=ON
    cmake -S "$RELOCPLAN_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DRELOCPLAN_WERROR="$werror" ${CONFIGURE_ARGS[@]:+"${CONFIGURE_ARGS[@]}"} >/dev/null
  fi
  cmake --build "$BUILD_DIR" --parallel "$(nproc)" ${targets[@]:+--target "${targets[@]}"}
}

install_missing_packages "${RELOCPLAN_PACKAGES[@]}"

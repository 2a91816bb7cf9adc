# Shared by scripts/run and scripts/test: install what is missing, configure, build.
set -euo pipefail
FULCRUM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FULCRUM_BUILD=${FULCRUM_BUILD_DIR:-$FULCRUM_ROOT/build}

fulcrum_install_packages() {
    local wanted missing=()
    wanted=$(grep -vE '^\s*(#|$)' "$FULCRUM_ROOT/scripts/packages.txt")
    for p in $wanted; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    local still=()
    for p in "${missing[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || still+=("$p")
    done
    if [ ${#still[@]} -gt 0 ]; then
        echo "error: these Debian packages from scripts/packages.txt did not install: ${still[*]}" >&2
        return 1
    fi
    # The packaged services are not ours to run: Fulcrum starts its own on free loopback ports.
    for svc in redis-server redis-sentinel nginx haproxy apache2 etcd postgresql mariadb; do
        $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || $sudo service "$svc" stop >/dev/null 2>&1 || true
    done
}

fulcrum_build() {
    # ccache (when installed) keys on paths relative to the checkout, so a fresh clone in
    # another directory reuses earlier compilations.
    export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$FULCRUM_ROOT}"
    local generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    if [ ! -f "$FULCRUM_BUILD/CMakeCache.txt" ]; then
        cmake -S "$FULCRUM_ROOT" -B "$FULCRUM_BUILD" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
    elif [ $# -gt 0 ]; then
        cmake "$FULCRUM_BUILD" "$@"
    fi
    cmake --build "$FULCRUM_BUILD" --parallel "$(nproc)"
}

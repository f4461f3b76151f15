#!/usr/bin/env bash
# The container image's build and runtime steps, one place: the Dockerfile runs each step in its
# stage, and tests/deploy.rs runs the same steps outside a container (no engine runs on the
# project's machines), so what the image does is tested like the binary.
#
#   deploy/image-steps.sh build-deps           the build stage's system packages (Debian)
#   deploy/image-steps.sh build SRC ROOT       cargo build --release --locked in SRC, then
#                                              install the binary and the default settings into ROOT
#   deploy/image-steps.sh install BIN SRC ROOT install an already built binary and SRC's default
#                                              settings into ROOT (what `build` does after building)
#   deploy/image-steps.sh runtime-deps         the runtime stage's system packages (Debian)
#   deploy/image-steps.sh user ROOT            the non-root user (uid 10001) and its snapshot dir
#   deploy/image-steps.sh run ROOT [ARGS...]   start the installed binary as uid 10001 (outside a
#                                              container; the image's ENTRYPOINT does the same)
set -euo pipefail

UID_GID=10001
step="${1:?step}"; shift

install_into() { # BIN SRC ROOT
  local bin=$1 src=$2 root=$3
  install -D -m 0755 "$bin" "$root/usr/local/bin/vitrine"
  # Debug info off (173 MB -> 35 MB for a release build); symbols stay, for profiles.
  strip --strip-debug "$root/usr/local/bin/vitrine"
  install -D -m 0644 "$src/config/default.toml" "$root/etc/vitrine/vitrine.toml"
}

case "$step" in
  build-deps)
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential pkg-config libssl-dev zlib1g-dev python3 ca-certificates >/dev/null
    ;;
  build)
    src=$(cd "${1:?SRC}" && pwd); root=${2:?ROOT}
    (cd "$src" && cargo build --release --locked --bin vitrine)
    install_into "${CARGO_TARGET_DIR:-$src/target}/release/vitrine" "$src" "$root"
    ;;
  install)
    install_into "${1:?BIN}" "${2:?SRC}" "${3:?ROOT}"
    ;;
  runtime-deps)
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libssl3 zlib1g ca-certificates >/dev/null
    rm -rf /var/lib/apt/lists/*
    ;;
  user)
    root=${1:?ROOT}
    if [ "$root" = / ] && ! getent passwd vitrine >/dev/null; then
      groupadd --system --gid "$UID_GID" vitrine
      useradd --system --uid "$UID_GID" --gid "$UID_GID" --no-create-home \
        --home-dir /var/lib/vitrine --shell /usr/sbin/nologin vitrine
    fi
    install -d -m 0750 -o "$UID_GID" -g "$UID_GID" "$root/var/lib/vitrine/snapshots"
    ;;
  run)
    root=$(cd "${1:?ROOT}" && pwd); shift
    # The image's environment (see the Dockerfile's ENV), then the caller's arguments.
    exec env VITRINE_SNAPSHOT__DIR="${VITRINE_SNAPSHOT__DIR:-$root/var/lib/vitrine/snapshots}" \
      setpriv --reuid="$UID_GID" --regid="$UID_GID" --clear-groups --no-new-privs \
      "$root/usr/local/bin/vitrine" "$@"
    ;;
  *)
    echo "unknown step: $step" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Set up Gale on a fresh machine: installs what is missing (Maven; PoCL and the tornado-api jar
# when a TornadoVM SDK is present), then builds. Safe to run again.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
. tasks/lib/env.sh

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi; }
apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || die "please install: $* (no apt-get here)"
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 1. Java 25+
jdk=$(gale_find_jdk) || die "Gale needs a JDK 25 or newer (the Vector API and FFM as in Java 25).
  None was found in JAVA_HOME, /usr/lib/jvm or on the PATH. Install one, e.g. Eclipse Temurin 25
  (https://adoptium.net) or your distribution's openjdk-25-jdk, then run ./setup.sh again."
export JAVA_HOME=$jdk
say "JDK: $jdk"

# 2. Maven
if ! command -v mvn >/dev/null; then say "installing Maven"; apt_install maven; fi

# 3. TornadoVM (optional): PoCL for a CPU OpenCL device, the tornado-api jar for compiling.
mvn_flags=(-B -q)
if sdk=$(gale_find_tornado); then
  tversion=$(gale_tornado_version "$sdk") || die "TornadoVM at $sdk has no tornado-api jar in share/java/tornado"
  say "TornadoVM $tversion: $sdk"
  . tornado-config/setup-tornado.sh
  gale_setup_tornado "$sdk" "$tversion"
  mvn_flags+=("-Dtornado.sdk=$sdk" "-Dtornado.version=$tversion"
              "-Dtornado.test.backend=$(gale_tornado_backends "$sdk" | cut -d' ' -f1)")
else
  say "no TornadoVM SDK (TORNADOVM_HOME or /opt/tornadovm): building the CPU-only Gale."
  say "  The opencl/ptx/spirv backends need TornadoVM: see README, 'GPU backends'."
  # no TornadoVM classes left over from an earlier build with an SDK
  rm -rf target/tornado.argfile target/tornado-*.argfile target/classes/dev/gale/backend/tornado \
    target/test-classes/dev/gale/backend/tornado
fi

# 4. Build
say "building"
mvn "${mvn_flags[@]}" -DskipTests package
if [ -n "${sdk:-}" ]; then
  say "built with the TornadoVM backends ($(gale_tornado_backends "$sdk")); './gale devices' lists their devices"
else
  say "built the CPU-only Gale (no TornadoVM SDK)"
fi
say "done: try ./gale generate -p \"The old man walked into the\""

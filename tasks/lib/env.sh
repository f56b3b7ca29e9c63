# Shared by ./gale, ./setup.sh, tests/run and the tasks: where Java 25+ and TornadoVM are.
# Source it; it defines functions and sets nothing else.

# Prints the JAVA_HOME of a JDK >= 25 (JAVA_HOME first, then /usr/lib/jvm, then java on PATH).
gale_find_jdk() {
  local candidates=() c v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for c in /usr/lib/jvm/*; do [ -d "$c" ] && candidates+=("$c"); done
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    # the JDK's release file names its version without starting a JVM (0.15 s of every launch)
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$c/release" 2>/dev/null)
    [ -n "$v" ] || v=$("$c/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    v=${v%%.*}
    if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}

# Prints the TornadoVM SDK directory, if it looks like one: TORNADOVM_HOME when set (and then only
# it), else /opt/tornadovm.
gale_find_tornado() {
  local c=${TORNADOVM_HOME:-/opt/tornadovm}
  [ -d "$c/share/java/tornado" ] && { echo "$c"; return 0; }
  return 1
}

# The TornadoVM version of an SDK, read from its tornado-api jar name (e.g. 5.2.0-jdk25).
gale_tornado_version() {
  local jar
  jar=$(ls "$1"/share/java/tornado/tornado-api-*.jar 2>/dev/null | head -n 1)
  [ -n "$jar" ] || return 1
  jar=$(basename "$jar" .jar)
  echo "${jar#tornado-api-}"
}

# The TornadoVM backends an SDK has (opencl ptx spirv), by their driver jars.
gale_tornado_backends() {
  local b out=()
  for b in opencl ptx spirv; do
    compgen -G "$1/share/java/tornado/tornado-drivers-$b-*.jar" >/dev/null && out+=("$b")
  done
  echo "${out[*]}"
}

# Makes (or refreshes) target/tornado-BACKEND.argfile for SDK under GALE_DIR; prints its path.
# The file is remade when missing, older than its template, or made for another SDK.
gale_tornado_argfile() {
  local dir=$1 sdk=$2 backend=$3
  local out="$dir/target/tornado-$backend.argfile" template="$dir/tornado-config/$backend.argfile"
  if [ ! -f "$out" ] || [ "$template" -nt "$out" ] || ! head -n 1 "$out" | grep -qF "for $sdk. "; then
    bash "$dir/tornado-config/argfile.sh" "$sdk" "$backend" "$out" || return 1
  fi
  echo "$out"
}

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
    v=$("$c/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    v=${v%%.*}
    if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}

# Prints the TornadoVM SDK directory (TORNADOVM_HOME, else /opt/tornadovm), if it looks like one.
gale_find_tornado() {
  local c
  for c in "${TORNADOVM_HOME:-}" /opt/tornadovm; do
    [ -n "$c" ] && [ -d "$c/share/java/tornado" ] && { echo "$c"; return 0; }
  done
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

# Sourced by setup.sh when a TornadoVM SDK is found. Defines gale_setup_tornado SDK VERSION, which
# prepares everything the TornadoVM backends need except the SDK itself.
gale_setup_tornado() {
  local sdk=$1 version=$2 backends b
  backends=$(gale_tornado_backends "$sdk")
  [ -n "$backends" ] || die "the TornadoVM SDK at $sdk has no backend driver (share/java/tornado/tornado-drivers-*.jar)"
  say "TornadoVM backends in the SDK: $backends"
  # An OpenCL device: PoCL runs OpenCL on the CPU when there is no GPU driver.
  if [[ " $backends " == *" opencl "* ]] && { [ ! -d /etc/OpenCL/vendors ] || [ -z "$(ls /etc/OpenCL/vendors 2>/dev/null)" ]; }; then
    say "no OpenCL driver found: installing PoCL (OpenCL on the CPU)"
    apt_install pocl-opencl-icd ocl-icd-libopencl1 clinfo
  fi
  # The tornado-api jar, to compile Gale's TornadoVM backend: from a Maven registry if one serves this
  # version, else the SDK's own jar (the one the runtime loads anyway) into the local repository.
  local m2="${HOME}/.m2/repository/io/github/beehive-lab/tornado-api/$version/tornado-api-$version.jar"
  if [ ! -f "$m2" ] && ! mvn -B -q dependency:get -Dartifact="io.github.beehive-lab:tornado-api:$version" \
      -Dtransitive=false >/dev/null 2>&1; then
    say "installing io.github.beehive-lab:tornado-api:$version from the SDK into the local Maven repository"
    mvn -B -q install:install-file -Dfile="$sdk/share/java/tornado/tornado-api-$version.jar" \
      -DgroupId=io.github.beehive-lab -DartifactId=tornado-api -Dversion="$version" -Dpackaging=jar
  fi
  # The JVM flags of each backend, with this SDK's paths (the gale launcher remakes them when the SDK moves).
  rm -f target/tornado.argfile
  for b in $backends; do
    gale_tornado_argfile "$PWD" "$sdk" "$b" >/dev/null || die "cannot make the $b argument file"
  done
}

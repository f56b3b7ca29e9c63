# Sourced by setup.sh when a TornadoVM SDK is found. Defines gale_setup_tornado SDK VERSION.
gale_setup_tornado() {
  local sdk=$1 version=$2
  # an OpenCL device: PoCL runs OpenCL on the CPU when there is no GPU driver
  if [ ! -e /etc/OpenCL/vendors ] || [ -z "$(ls /etc/OpenCL/vendors 2>/dev/null)" ]; then
    say "no OpenCL driver found: installing PoCL (OpenCL on the CPU)"
    apt_install pocl-opencl-icd ocl-icd-libopencl1 clinfo
  fi
  # the tornado-api jar, for compiling Gale's TornadoVM backend
  local m2="${HOME}/.m2/repository/io/github/beehive-lab/tornado-api/$version/tornado-api-$version.jar"
  if [ ! -f "$m2" ]; then
    say "installing io.github.beehive-lab:tornado-api:$version from the SDK into the local Maven repository"
    mvn -B -q install:install-file -Dfile="$sdk/share/java/tornado/tornado-api-$version.jar" \
      -DgroupId=io.github.beehive-lab -DartifactId=tornado-api -Dversion="$version" -Dpackaging=jar
  fi
  # the JVM flags TornadoVM needs, with this SDK's paths
  mkdir -p target
  sed "s#\${TORNADOVM_HOME}#$sdk#g" tornado-config/tornado.argfile > target/tornado.argfile
}

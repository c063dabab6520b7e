# cmdai's native addon is built with CMake (CMakeLists.txt, driven by cmake-js):
#   npm run build:native          -> build/Release/cmdai.node
#   prebuildify --backend cmake-js -> prebuilds/<platform>-<arch>/cmdai.node
# This file marks the package as a native addon for the tools that look for binding.gyp
# (prebuildify, node-gyp-build). It deliberately builds nothing: node-gyp is not used, and the
# package's own `install` script (scripts/install.js) stops npm from running `node-gyp rebuild`.
{
  "targets": [
    {
      "target_name": "cmdai",
      "type": "none"
    }
  ]
}

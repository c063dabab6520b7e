# cmdai's native addon is built with CMake (CMakeLists.txt, driven by cmake-js, or plain CMake
# when cmake-js is absent; see specs/distribution.md "How the build fits together"):
#   npm run build:native                          -> build/Release/cmdai.node
#   npm run build:prebuild [-- --target <t>]      -> prebuilds/<platform>-<arch>/ (scripts/prebuild.js)
# This file builds nothing. It is here because tools detect native packages by it (npm records
# `gypfile`, electron-rebuild and similar rebuild tools look for it); the package's own `install`
# script (scripts/install.js) keeps npm from running `node-gyp rebuild`.
{
  "targets": [
    {
      "target_name": "cmdai",
      "type": "none"
    }
  ]
}

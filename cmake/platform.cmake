# Build pieces for particular targets, kept out of CMakeLists.txt so that file reads as one page.
# Included by CMakeLists.txt before llama.cpp is added (add_subdirectory); the pieces that act
# on llama.cpp's targets run once the top-level directory has been read (cmake_language(DEFER)).
#
#   mingw.cmake         Windows builds with MinGW-w64 (the win32-x64 cross build): DLL names ggml
#                       looks for, and the Node-API import library for node.exe.
#   cpu-variants.cmake  Distributable Linux/Windows builds: leaves out a ggml CPU variant the
#                       compiler cannot build (e.g. arm64 SME with GCC < 14) instead of failing.
#   toolchain-*.cmake   Cross toolchains, passed as CMAKE_TOOLCHAIN_FILE by
#                       `npm run build:prebuild -- --target <platform>-<arch>`.

if(MINGW)
  include("${CMAKE_CURRENT_LIST_DIR}/mingw.cmake")
endif()
if(CMDAI_CPU_VARIANTS)
  include("${CMAKE_CURRENT_LIST_DIR}/cpu-variants.cmake")
endif()

# Cross build for linux-arm64 (aarch64, glibc) on an x86-64 Debian/Ubuntu host.
# Needs Debian's g++-aarch64-linux-gnu; the result runs under qemu-user for testing
# (`npm run test:cross`). Used by `npm run build:prebuild -- --target linux-arm64`.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMDAI_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${CMDAI_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${CMDAI_CROSS_TRIPLE}-g++)

# Headers and libraries of the target come from the cross sysroot; programs (git, python) from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${CMDAI_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Cross build for win32-x64 with MinGW-w64 on a Debian/Ubuntu host.
# Needs Debian's mingw-w64 (the "posix" thread model: std::thread and std::mutex); the result runs
# under wine for testing (`npm run test:cross`). Used by
# `npm run build:prebuild -- --target win32-x64`.
set(CMAKE_SYSTEM_NAME Windows)
# ggml recognises x86 by this name and then builds its x86 CPU variants.
set(CMAKE_SYSTEM_PROCESSOR AMD64)

set(CMDAI_CROSS_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${CMDAI_CROSS_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${CMDAI_CROSS_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${CMDAI_CROSS_TRIPLE}-windres)
set(CMAKE_DLLTOOL ${CMDAI_CROSS_TRIPLE}-dlltool)

set(CMAKE_FIND_ROOT_PATH /usr/${CMDAI_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Every DLL carries its own copy of the GCC runtime (libgcc, libstdc++, winpthread), so the
# prebuild folder needs nothing a Windows machine does not have (KERNEL32, msvcrt, ...).
# `-static` only affects how -l libraries are found: ggml's and llama's own import libraries are
# passed by full path and stay dynamic. `--exclude-libs,ALL`: a DLL that exports all its symbols
# (llama.cpp's MinGW default) must not re-export the runtime's (ggml-base.dll would export
# _Unwind_Resume and every later link would see it twice).
# `-s`: MinGW keeps the symbol tables in the DLLs; stripped, the prebuild is 11.5 MB instead of
# 19.7 MB (three CPU variants), 4.4 MB instead of 6.2 MB compressed.
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static -s -Wl,--exclude-libs,ALL")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static -s -Wl,--exclude-libs,ALL")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# Declarations older MinGW-w64 headers lack (see the file).
set(CMAKE_C_FLAGS_INIT "-include ${CMAKE_CURRENT_LIST_DIR}/mingw-compat.h")
set(CMAKE_CXX_FLAGS_INIT "-include ${CMAKE_CURRENT_LIST_DIR}/mingw-compat.h")

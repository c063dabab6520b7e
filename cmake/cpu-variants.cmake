# ggml's GGML_CPU_ALL_VARIANTS builds one CPU library per instruction-set level, with a fixed list
# of -march flags. Not every compiler knows every level: GCC before 14 has no arm64 SME
# (armv9.2-a+sme), and Debian 12's aarch64 cross compiler and Ubuntu 22.04's native one are
# GCC 12 and 11; MinGW-w64 GCC 12 accepts the AMX flags but cannot assemble AMX tile loads. Rather than fail the whole build, a variant whose flags the compiler rejects is
# left out: its target compiles a placeholder (not-built-variant.c) so llama.cpp's dependency
# graph stays intact, and its name goes to cmdai-cpu-variants-not-built.txt in the build folder,
# which scripts/prebuild.js reads so the placeholder is never shipped. A CPU the variant was for
# loads the next best one (for the arm64 SME levels: armv8.6_2, the same code, since ggml uses
# SME only through KleidiAI, which is off).

#
# CMDAI_CPU_VARIANTS_ONLY (a list, e.g. "x64;haswell"): builds only those variants and leaves the
# others out the same way. For development and emulated test runs on a slow machine, never for a
# release: the left-out names are recorded, and `check-pack --expect-prebuilds` refuses such a
# prebuild.

include(CheckCSourceCompiles)

set(CMDAI_CPU_VARIANTS_ONLY "" CACHE STRING "Build only these ggml CPU variants (development; a release builds all)")

function(cmdai_leave_out_variant target reason)
  set_property(TARGET ${target} PROPERTY SOURCES "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/not-built-variant.c")
  set_property(TARGET ${target} PROPERTY COMPILE_OPTIONS "")
  set_property(DIRECTORY "${CMAKE_SOURCE_DIR}" APPEND PROPERTY CMDAI_LEFT_OUT_VARIANTS "${target} ${reason}")
endfunction()

function(cmdai_leave_out_unbuildable_cpu_variants)
  foreach(target IN LISTS GGML_AVAILABLE_BACKENDS)
    if(NOT target MATCHES "^ggml-cpu-" OR NOT TARGET ${target})
      continue()
    endif()
    string(REGEX REPLACE "^ggml-cpu-" "" variant "${target}")
    # First whether the compiler can build it at all (so the record says `compiler` even in a
    # partial build), then whether --cpu-variants asked for it.
    get_target_property(options ${target} COMPILE_OPTIONS)
    set(arch_flags "")
    foreach(option IN LISTS options)
      if(option MATCHES "^-m")
        list(APPEND arch_flags "${option}")
      endif()
    endforeach()
    if(arch_flags)
      string(MAKE_C_IDENTIFIER "CMDAI_COMPILER_BUILDS_${target}" result)
      string(REPLACE ";" " " CMAKE_REQUIRED_FLAGS "${arch_flags}")
      set(CMAKE_REQUIRED_QUIET ON)
      check_c_source_compiles("int main(void) { return 0; }" ${result})
      if(NOT ${result})
        message(WARNING "cmdai: ${CMAKE_C_COMPILER} rejects ${CMAKE_REQUIRED_FLAGS}: "
          "the CPU variant ${target} is left out of this build (CPUs it was for use the next best variant).")
        cmdai_leave_out_variant(${target} compiler)
        continue()
      endif()
      # AMX (sapphirerapids): GCC 12's _tile_loadd passes the row stride as `long`, which is 32 bits
      # on Windows (LLP64), so MinGW-w64 GCC 12 emits a 32-bit index register in the tileloadd
      # address and the assembler rejects it ("is not a valid base/index expression"). Accepting
      # the flags is not enough there: the compiler must assemble a tile load.
      if("-mamx-tile" IN_LIST arch_flags)
        string(MAKE_C_IDENTIFIER "CMDAI_COMPILER_BUILDS_AMX_LOAD_${target}" amx_result)
        check_c_source_compiles("#include <immintrin.h>
int main(void) { static char tiles[1024]; _tile_loadd(0, tiles, 64); return 0; }" ${amx_result})
        if(NOT ${amx_result})
          message(WARNING "cmdai: ${CMAKE_C_COMPILER} cannot assemble an AMX tile load with ${CMAKE_REQUIRED_FLAGS}: "
            "the CPU variant ${target} is left out of this build (CPUs it was for use the next best variant).")
          cmdai_leave_out_variant(${target} compiler)
          continue()
        endif()
      endif()
    endif()
    if(CMDAI_CPU_VARIANTS_ONLY AND NOT variant IN_LIST CMDAI_CPU_VARIANTS_ONLY)
      cmdai_leave_out_variant(${target} CMDAI_CPU_VARIANTS_ONLY)
    endif()
  endforeach()
  # One line per left-out variant: "<target> <reason>", reason `compiler` or `CMDAI_CPU_VARIANTS_ONLY`.
  get_property(left_out DIRECTORY "${CMAKE_SOURCE_DIR}" PROPERTY CMDAI_LEFT_OUT_VARIANTS)
  string(REPLACE ";" "\n" lines "${left_out}")
  file(WRITE "${CMAKE_BINARY_DIR}/cmdai-cpu-variants-not-built.txt" "${lines}\n")
endfunction()

cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL cmdai_leave_out_unbuildable_cpu_variants)

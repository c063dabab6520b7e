/* Compiled in place of a ggml CPU variant the compiler cannot build (see cpu-variants.cmake).
   The library made from it has no ggml entry points and is never shipped: scripts/prebuild.js
   leaves every name listed in cmdai-cpu-variants-not-built.txt out of prebuilds/. */
typedef int cmdai_cpu_variant_not_built;

# The MLX engine addon, cmdai_mlx.node: our Qwen2 over mlx::core plus its Node-API binding.
# A second addon next to cmdai.node, independent of llama.cpp, so either can be built (and
# loaded) without the other. The top-level CMakeLists.txt includes this file only when MLX was
# found (find_package(MLX CONFIG) with CMAKE_PREFIX_PATH / CMDAI_MLX_DIR pointing at an install).
#
# cmake-js provides CMAKE_JS_INC / CMAKE_JS_SRC / CMAKE_JS_LIB.
if(NOT TARGET mlx)
  find_package(MLX CONFIG REQUIRED)
endif()

# node-addon-api's headers, wherever npm put the package.
if(NOT NODE_ADDON_API_DIR)
  execute_process(
    COMMAND node -p "require('node-addon-api').include_dir"
    WORKING_DIRECTORY "${CMAKE_CURRENT_LIST_DIR}"
    OUTPUT_VARIABLE NODE_ADDON_API_DIR
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  string(REPLACE "\"" "" NODE_ADDON_API_DIR "${NODE_ADDON_API_DIR}")
endif()

file(GLOB CMDAI_MLX_COMMON_SOURCES CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/../common/*.cpp")
add_library(cmdai_mlx SHARED
  ${CMDAI_MLX_COMMON_SOURCES}
  "${CMAKE_CURRENT_LIST_DIR}/addon.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/qwen2.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/sampler.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/session.cpp"
  ${CMAKE_JS_SRC})
set_target_properties(cmdai_mlx PROPERTIES
  PREFIX ""
  SUFFIX ".node"
  # MLX's headers are C++20; the rest of the project may stay on C++17.
  CXX_STANDARD 20
  CXX_STANDARD_REQUIRED ON
  POSITION_INDEPENDENT_CODE ON)
target_include_directories(cmdai_mlx PRIVATE ${CMAKE_JS_INC} "${NODE_ADDON_API_DIR}" "${CMAKE_CURRENT_LIST_DIR}/../common")
target_link_libraries(cmdai_mlx PRIVATE mlx ${CMAKE_JS_LIB})
target_compile_definitions(cmdai_mlx PRIVATE
  NAPI_VERSION=8
  NODE_ADDON_API_DISABLE_DEPRECATED
  NODE_ADDON_API_CPP_EXCEPTIONS)

if(UNIX AND NOT APPLE)
  # Keep MLX's symbols private to this addon.
  target_link_options(cmdai_mlx PRIVATE "-Wl,--exclude-libs,ALL")
endif()

if(APPLE AND MLX_BUILD_METAL)
  # MLX loads its Metal kernels from mlx.metallib next to the binary that contains MLX, which
  # for a static MLX is this addon.
  find_file(CMDAI_MLX_METALLIB mlx.metallib PATHS "${MLX_LIBRARY_DIRS}" NO_DEFAULT_PATH)
  if(CMDAI_MLX_METALLIB)
    add_custom_command(TARGET cmdai_mlx POST_BUILD
      COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${CMDAI_MLX_METALLIB}" "$<TARGET_FILE_DIR:cmdai_mlx>/mlx.metallib")
  else()
    message(WARNING "mlx.metallib not found in ${MLX_LIBRARY_DIRS}; cmdai_mlx.node will fail to start on the GPU")
  endif()
endif()

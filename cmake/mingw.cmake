# MinGW-w64 builds (cross builds for win32-x64, see toolchain-win32-x64.cmake). Included by
# CMakeLists.txt before llama.cpp is added.
#
# 1. File names as ggml expects them on Windows: it looks for its CPU variants as
#    ggml-cpu-<variant>.dll next to the addon, where MinGW would name them libggml-cpu-<variant>.dll.
set(CMAKE_SHARED_LIBRARY_PREFIX "")
set(CMAKE_SHARED_MODULE_PREFIX "")
set(CMAKE_IMPORT_LIBRARY_PREFIX "")

# 2. Node-API. An addon imports the napi_* functions from the executable that
# loads it, node.exe; MSVC builds get node.lib from cmake-js, MinGW needs an import library of its
# own. dlltool makes one from the .def files node-api-headers ships (the same lists node.lib is
# made from), naming NODE.EXE as the exporter.
#
# The addon target is defined later in CMakeLists.txt; the link is added once the top-level
# directory has been read (cmake_language(DEFER), at the end of this file).

set(CMDAI_NODE_API_DEF_DIR "" CACHE PATH "Folder with node-api-headers' js_native_api.def and node_api.def")
if(NOT CMDAI_NODE_API_DEF_DIR)
  # cmake-js puts node-api-headers/include on CMAKE_JS_INC; the .def files sit next to it.
  foreach(dir IN LISTS CMAKE_JS_INC)
    if(EXISTS "${dir}/../def/node_api.def")
      get_filename_component(CMDAI_NODE_API_DEF_DIR "${dir}/../def" ABSOLUTE)
      break()
    endif()
  endforeach()
endif()
if(NOT EXISTS "${CMDAI_NODE_API_DEF_DIR}/node_api.def")
  message(FATAL_ERROR "node-api-headers' .def files were not found (CMAKE_JS_INC: ${CMAKE_JS_INC}). "
    "Run `npm ci` so node_modules/node-api-headers exists, or set CMDAI_NODE_API_DEF_DIR.")
endif()

if(NOT CMAKE_DLLTOOL)
  find_program(CMAKE_DLLTOOL NAMES x86_64-w64-mingw32-dlltool dlltool REQUIRED)
endif()

function(cmdai_link_node_api target)
  set(libs "")
  foreach(def js_native_api node_api)
    set(out "${CMAKE_CURRENT_BINARY_DIR}/lib${def}.a")
    add_custom_command(OUTPUT "${out}"
      COMMAND "${CMAKE_DLLTOOL}" --input-def "${CMDAI_NODE_API_DEF_DIR}/${def}.def"
              --dllname node.exe --output-lib "${out}"
      DEPENDS "${CMDAI_NODE_API_DEF_DIR}/${def}.def"
      COMMENT "Node-API import library ${def} (node.exe)")
    list(APPEND libs "${out}")
  endforeach()
  add_custom_target(${target}_node_api_imports DEPENDS ${libs})
  add_dependencies(${target} ${target}_node_api_imports)
  target_link_libraries(${target} PRIVATE ${libs})
endfunction()

cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL cmdai_link_node_api ${PROJECT_NAME})

# How targets are compiled cheaply: a clean build is the bulk of the test command's time, and
# most of a LibTorch translation unit's cost is the headers and the templates they instantiate,
# not our code.
#
# 1. Unity builds for every target (ATTNSCOPE_UNITY_BUILD, on by default): each target's
#    sources are compiled in batches of ATTNSCOPE_UNITY_BATCH_SIZE, so that the headers are
#    parsed and their templates instantiated once per batch instead of once per file. A source
#    file shares one translation unit with others of its target: helpers in anonymous
#    namespaces need names unique within the target (a duplicate is a compile error; an
#    overload taking other types would silently join another file's overload set, so share the
#    helper through a header instead of copying it: tests/support has file_bytes.h, temp_dir.h,
#    fixture_paths.h, demo_model_dir.h). A file that cannot share (it defines macros others must
#    not see) opts out with
#      set_source_files_properties(file.cpp PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
#    Configure with -DATTNSCOPE_UNITY_BUILD=OFF to check that every file compiles on its own.
# 2. Shared precompiled headers: one LibTorch PCH per kind of target, built once, which every
#    target that includes LibTorch reuses (GCC takes a PCH only with the same -fPIC/-fPIE and
#    warning flags):
#      libraries                       attnscope_torch_pch       (top-level CMakeLists.txt)
#      test executables (GoogleTest)   attnscope_torch_test_pch  (tests/CMakeLists.txt)
#      other executables (CLI, bench)  attnscope_torch_exe_pch   (below)
#    attnscope_use_torch_pch(target) picks the right one.
#
# New targets: tests use attnscope_add_test(), benchmarks attnscope_add_bench(); both get the
# warnings, the unity batches and, with TORCH, the shared PCH.
option(ATTNSCOPE_UNITY_BUILD "Compile each target's sources in batches (unity build)" ON)
set(ATTNSCOPE_UNITY_BATCH_SIZE 8 CACHE STRING "Source files per unity translation unit")
set(CMAKE_UNITY_BUILD ${ATTNSCOPE_UNITY_BUILD})
set(CMAKE_UNITY_BUILD_BATCH_SIZE ${ATTNSCOPE_UNITY_BATCH_SIZE})

# The LibTorch PCH of executables that are not tests (attnscope-cli, the benchmarks): an
# executable, so that it compiles with -fPIE as they do.
function(attnscope_add_torch_exe_pch)
  add_executable(attnscope_torch_exe_pch ${PROJECT_SOURCE_DIR}/cmake/pch/pch_host_main.cpp)
  target_link_libraries(attnscope_torch_exe_pch PRIVATE torch nlohmann_json::nlohmann_json)
  target_precompile_headers(attnscope_torch_exe_pch PRIVATE ${ATTNSCOPE_TORCH_PCH_HEADERS})
  attnscope_warnings(attnscope_torch_exe_pch)
endfunction()

# attnscope_use_torch_pch(<target>): reuse the shared LibTorch PCH that fits the target's kind.
function(attnscope_use_torch_pch target)
  get_target_property(_type ${target} TYPE)
  if(NOT _type STREQUAL "EXECUTABLE")
    target_precompile_headers(${target} REUSE_FROM attnscope_torch_pch)
  elseif(TARGET attnscope_torch_test_pch AND ${ARGC} GREATER 1 AND "${ARGV1}" STREQUAL "TEST")
    target_precompile_headers(${target} REUSE_FROM attnscope_torch_test_pch)
  else()
    target_precompile_headers(${target} REUSE_FROM attnscope_torch_exe_pch)
  endif()
endfunction()

# attnscope_add_test(<name> [TORCH] SOURCES <files>... LIBRARIES <targets>...)
# A GoogleTest executable with our warnings; TORCH: it includes LibTorch and reuses the test PCH.
# Register its tests with gtest_discover_tests() as usual (labels, filters, environment).
function(attnscope_add_test name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "TORCH" "" "SOURCES;LIBRARIES")
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES} attnscope_test_support)
  if(ARG_TORCH)
    attnscope_use_torch_pch(${name} TEST)
  endif()
  attnscope_warnings(${name})
endfunction()

# attnscope_add_bench(<name> [TORCH] SOURCES <files>... LIBRARIES <targets>...)
# A benchmark executable (built, not run, by the tests); TORCH: it reuses the executables' PCH.
function(attnscope_add_bench name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "TORCH" "" "SOURCES;LIBRARIES")
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES})
  if(ARG_TORCH)
    attnscope_use_torch_pch(${name})
  endif()
  attnscope_warnings(${name})
endfunction()

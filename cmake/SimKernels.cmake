# rawgpu_add_sim_kernels(NAME SOURCE file.c [OUTPUT_DIR dir] AMD_TARGETS gfx1100 gfx942 ...
#                        [NV_TARGETS sm_86 sm_90 ...] [QCOM_TARGETS a630 a660 ...])
# Builds a C file of simulator kernels (sim/kernel_abi.h) into a host shared object and packs it
# into one simulator code object per target: OUTPUT_DIR/NAME_<target>.co (default: the current
# binary dir); AMD targets get the AMDHSA container, NV targets the cubin layout, QCOM targets the
# Adreno compiler library layout.
# Defines the custom target NAME that produces them.
function(rawgpu_add_sim_kernels name)
  cmake_parse_arguments(A "" "SOURCE;OUTPUT_DIR" "AMD_TARGETS;NV_TARGETS;QCOM_TARGETS" ${ARGN})
  if(NOT A_OUTPUT_DIR)
    set(A_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  add_library(${name}_host MODULE ${A_SOURCE})
  target_include_directories(${name}_host PRIVATE ${PROJECT_SOURCE_DIR})
  set_target_properties(${name}_host PROPERTIES C_VISIBILITY_PRESET hidden PREFIX "" OUTPUT_NAME ${name}_host)
  target_compile_options(${name}_host PRIVATE -O2 -Wall -Wextra -Werror)
  # Simulator kernels are host code called from the simulator; sanitizers stay out of them so
  # that a dlopen'ed kernel never needs the sanitizer runtime.
  target_compile_options(${name}_host PRIVATE -fno-sanitize=all)
  target_link_options(${name}_host PRIVATE -fno-sanitize=all)
  set(outputs)
  foreach(gfx ${A_AMD_TARGETS})
    set(out ${A_OUTPUT_DIR}/${name}_${gfx}.co)
    add_custom_command(OUTPUT ${out}
      COMMAND rawgpu_simpack amd:${gfx} $<TARGET_FILE:${name}_host> ${out}
      DEPENDS rawgpu_simpack ${name}_host
      COMMENT "sim code object ${name} for ${gfx}")
    list(APPEND outputs ${out})
  endforeach()
  foreach(sm ${A_NV_TARGETS})
    set(out ${A_OUTPUT_DIR}/${name}_${sm}.co)
    add_custom_command(OUTPUT ${out}
      COMMAND rawgpu_simpack nv:${sm} $<TARGET_FILE:${name}_host> ${out}
      DEPENDS rawgpu_simpack ${name}_host
      COMMENT "sim cubin ${name} for ${sm}")
    list(APPEND outputs ${out})
  endforeach()
  foreach(chip ${A_QCOM_TARGETS})
    set(out ${A_OUTPUT_DIR}/${name}_${chip}.co)
    add_custom_command(OUTPUT ${out}
      COMMAND rawgpu_simpack qcom:${chip} $<TARGET_FILE:${name}_host> ${out}
      DEPENDS rawgpu_simpack ${name}_host
      COMMENT "sim Adreno library ${name} for ${chip}")
    list(APPEND outputs ${out})
  endforeach()
  add_custom_target(${name} ALL DEPENDS ${outputs})
endfunction()

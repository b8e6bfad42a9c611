# Code objects the tests load (built in kernels/): real AMDGPU code objects from clang, real
# cubins from nvcc and simulator code objects. Paths reach the tests through the INTERFACE target
# rawgpu_test_kernels, which also makes every test that links it wait for them.
add_library(rawgpu_test_kernels INTERFACE)
target_compile_definitions(rawgpu_test_kernels INTERFACE RAWGPU_KERNEL_DIR="${RAWGPU_KERNEL_DIR}")
if(RAWGPU_HAVE_AMDGPU_CLANG)
  target_compile_definitions(rawgpu_test_kernels INTERFACE RAWGPU_HAVE_AMDGPU_CLANG=1)
endif()
if(RAWGPU_HAVE_NVCC)
  target_compile_definitions(rawgpu_test_kernels INTERFACE RAWGPU_HAVE_NVCC=1)
endif()
add_dependencies(rawgpu_test_kernels rawgpu_nv_kernels sim_basic)

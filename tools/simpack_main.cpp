// rawgpu-simpack: packs a host shared object of simulator kernels (C files using
// sim/kernel_abi.h) into a simulator code object in a backend's container.
//   rawgpu-simpack amd:gfx1100 libkernels.so kernels_gfx1100.co
//   rawgpu-simpack nv:sm_90 libkernels.so kernels_sm_90.co      (cubin layout)
//   rawgpu-simpack qcom:a630 libkernels.so kernels_a630.co      (Adreno compiler library layout)
// Used by the CMake helper rawgpu_add_sim_kernels() (cmake/SimKernels.cmake).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sim/code_object_pack.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: rawgpu-simpack amd:<gfx target>|nv:sm_<NN>|qcom:a<NNN> HOST_SO OUT\n");
    return 2;
  }
  const std::string target = argv[1];
  std::ifstream in(argv[2], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "rawgpu-simpack: cannot read %s\n", argv[2]);
    return 1;
  }
  std::vector<uint8_t> so((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  rawgpu::core::Result<std::vector<uint8_t>> out = rawgpu::core::Error::invalid(
      "rawgpu-simpack", "unknown container '" + target + "' (expected amd:<gfx target>, nv:sm_<NN> or qcom:a<NNN>)");
  if (target.rfind("amd:", 0) == 0) out = rawgpu::sim::pack_amd_sim_code_object(so, target.substr(4));
  if (target.rfind("nv:", 0) == 0) out = rawgpu::sim::pack_nv_sim_code_object(so, target.substr(3));
  if (target.rfind("qcom:", 0) == 0) out = rawgpu::sim::pack_qcom_sim_code_object(so, target.substr(5));
  if (!out) {
    std::fprintf(stderr, "rawgpu-simpack: %s\n", out.error().message().c_str());
    return 1;
  }
  std::ofstream o(argv[3], std::ios::binary | std::ios::trunc);
  o.write(reinterpret_cast<const char*>(out->data()), static_cast<std::streamsize>(out->size()));
  if (!o) {
    std::fprintf(stderr, "rawgpu-simpack: cannot write %s\n", argv[3]);
    return 1;
  }
  return 0;
}

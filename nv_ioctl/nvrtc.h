// rawgpu — CUDA C++ to cubin at run time through NVRTC, loaded with dlopen when it is installed
// (no CUDA headers or link-time dependency). rawgpu works without it: every call then fails with
// ErrorKind::kUnsupported and a hint saying how to install or point at it.
//
// Where libnvrtc is looked for, in order (default_candidates()):
//   1. $RAWGPU_NVRTC, when set: that file only (an explicit choice is never second-guessed);
//   2. "libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12" through the dynamic loader's search
//      (LD_LIBRARY_PATH, ld.so.cache);
//   3. $CUDA_PATH/lib64/libnvrtc.so, then /usr/local/cuda/lib64/libnvrtc.so — the CUDA toolkit's
//      documented default install location, the one absolute path rawgpu knows.
// Once loaded, a library stays loaded for the life of the process (NVRTC keeps global state).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace rawgpu::nv {

class Nvrtc {
 public:
  // The library files to try, in the order above.
  static std::vector<std::string> default_candidates();
  // dlopens the first candidate that loads and exports every entry point rawgpu uses
  // (nvrtcVersion, nvrtcCreateProgram, nvrtcCompileProgram, nvrtcGetCUBINSize, nvrtcGetCUBIN,
  // nvrtcGetProgramLogSize, nvrtcGetProgramLog, nvrtcDestroyProgram). Errors: kUnsupported
  // naming every file tried and why it failed.
  static core::Result<std::unique_ptr<Nvrtc>> load(std::span<const std::string> candidates);
  // The process-wide instance, loaded from default_candidates() on first use (thread-safe); the
  // outcome, success or failure, is kept.
  static core::Result<const Nvrtc*> shared();

  Nvrtc(const Nvrtc&) = delete;
  Nvrtc& operator=(const Nvrtc&) = delete;
  ~Nvrtc() = default;  // never dlcloses (see the file comment)

  const std::string& path() const { return path_; }  // the candidate that loaded
  int major() const { return major_; }               // nvrtcVersion: 13, 0
  int minor() const { return minor_; }

  // Compiles one CUDA C++ translation unit to a cubin of real SASS for `arch` ("sm_90"; passed as
  // --gpu-architecture=sm_90, so the result is not PTX), then `options` (e.g. "-O3",
  // "-default-device"). `name` names the source in diagnostics ("saxpy.cu"). Errors:
  // kInvalidInput for a bad arch string; a failed compile gives status NVRTC_ERROR_COMPILATION
  // with the NVRTC log as the hint; other NVRTC failures carry their nvrtcResult by name.
  core::Result<std::vector<uint8_t>> compile(std::string_view source, std::string_view name,
                                             std::string_view arch,
                                             std::span<const std::string> options = {}) const;

 private:
  struct Api;
  Nvrtc() = default;

  std::string path_;
  int major_ = 0, minor_ = 0;
  std::shared_ptr<const Api> api_;
};

// Nvrtc::shared()->compile(...), or the kUnsupported error when NVRTC is absent.
core::Result<std::vector<uint8_t>> compile_cuda(std::string_view source, std::string_view name,
                                                std::string_view arch,
                                                std::span<const std::string> options = {});

}  // namespace rawgpu::nv

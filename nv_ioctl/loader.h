// rawgpu — cubin loader: real cubins from nvcc / NVRTC (CUDA 12-13 layout, sm_86 and sm_90
// measured) and simulator cubins in the same container (nv_ioctl/cubin.h). Parses the ELF with
// core/elf.h and produces a load image plus per-kernel facts; the backend copies the image into
// GPU memory, calls relocate() for the address it chose, and fills constant bank 0 per launch
// with marshal_cbank0(). Malformed input gets an error naming what is wrong, never a crash.
//
// The load image (nvidia.md §6.1, nvidia-hopper.md §4.5): every SHF_ALLOC SHT_PROGBITS section
// (.text.<k>, .nv.constant<N>[.<k>], .nv.global.init, ...) and the SHT_NOBITS .nv.global
// (zero-filled), in section-table order, each at a multiple of max(sh_addralign, 128); the image
// is then rounded up to 4 KiB and 4 KiB of zeros are added (instruction prefetch runs past the
// code). Shared-memory sections (.nv.shared.*) and non-allocated sections (.debug_frame,
// .nv.info*) are not in the image; relocations that patch them are dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "nv_ioctl/cubin.h"
#include "queues/device.h"

namespace rawgpu::nv {

// One .nv.info record, kept as found (also the ones the loader understands).
struct NvInfoRecord {
  uint8_t format = 0;         // EIFMT_*
  uint8_t attribute = 0;      // EIATTR_* (eiattr_name() for its name)
  uint16_t value = 0;         // HVAL/BVAL value; SVAL: data size
  std::vector<uint8_t> data;  // SVAL data
};

// One EIATTR_KPARAM_INFO record.
struct CubinParam {
  uint16_t ordinal = 0;  // position in the signature
  uint32_t offset = 0;  // in the parameter area (cbuf0 offset = CubinKernel::param_offset + offset)
  uint32_t size = 0;    // bytes
  uint32_t packed = 0;  // the raw packed word (cubin.h kKparamInfo*)
};

// A constant bank stored in the cubin: .nv.constant<N> (module-wide: 3 = __constant__ data,
// 4 = addresses of __device__ variables, filled by R_CUDA_64) or .nv.constant<N>.<kernel>
// (per kernel; 0 = driver words + parameters, 2 = compiler literals). Bind it as QMD constant
// buffer slot `bank` at image VA + offset (bank 0 is written per launch instead).
struct CubinConstBank {
  uint32_t bank = 0;
  uint64_t offset = 0;  // in the image
  uint64_t size = 0;
  std::string section;  // ".nv.constant3"
};

struct CubinKernel {
  std::string name;          // the STT_FUNC symbol, as in .text.<name>
  uint32_t sm = 0;           // of the cubin
  uint32_t symbol = 0;       // its .symtab index (what .nv.info records refer to)
  uint64_t code_offset = 0;  // entry point in the image (QMD program address = image VA + this)
  uint64_t code_size = 0;    // st_size
  uint64_t text_offset = 0, text_size = 0;  // the whole .text.<name> (may also hold callees)

  // From .nv.info (matched by symbol index) and .nv.info.<name>.
  uint32_t register_count = 0;          // EIATTR_REGCOUNT (required)
  uint32_t max_register_count = 0;      // EIATTR_MAXREG_COUNT (0: absent)
  uint32_t frame_size = 0;              // EIATTR_FRAME_SIZE, bytes per thread
  uint32_t min_stack_size = 0;          // EIATTR_MIN_STACK_SIZE, bytes per thread (local memory)
  uint32_t max_stack_size = 0;          // EIATTR_MAX_STACK_SIZE
  uint32_t crs_stack_size = 0;          // EIATTR_CRS_STACK_SIZE
  uint32_t num_barriers = 0;            // EIATTR_NUM_BARRIERS -> QMD BARRIER_COUNT
  uint32_t cuda_api_version = 0;        // EIATTR_CUDA_API_VERSION (130 = CUDA 13.0)
  uint32_t max_threads[3] = {0, 0, 0};  // EIATTR_MAX_THREADS (__launch_bounds__); 0: none
  uint32_t req_threads[3] = {0, 0, 0};  // EIATTR_REQNTID; 0: none
  bool ctaid_z_used = false;            // EIATTR_CTAIDZ_USED
  std::vector<uint32_t> exit_offsets;   // EIATTR_EXIT_INSTR_OFFSETS, bytes into the code

  // Parameters and constant bank 0. param_offset: where parameters start in cbuf0, from
  // EIATTR_PARAM_CBANK, else the size of .nv.constant0.<name> (0x160 sm_86, 0x210 sm_90).
  // cbank0_size: the size of .nv.constant0.<name> (>= param_offset + param_size); bind
  // round_up(cbank0_size, 64) bytes (nvidia-hopper.md §5 step 10).
  std::vector<CubinParam> params;  // EIATTR_KPARAM_INFO, sorted by ordinal
  uint32_t param_offset = 0;
  uint32_t param_size = 0;  // EIATTR_CBANK_PARAM_SIZE / EIATTR_PARAM_CBANK (0: no params)
  uint32_t cbank0_size = 0;
  std::vector<CubinConstBank> banks;  // .nv.constant<N>.<name> for N != 0

  // The neutral argument layout: one kValue entry per parameter (a cubin does not say which
  // parameters are pointers, nor their names), offsets relative to the parameter area, which is
  // laid out like a C struct of the signature, so queues::KernelArgs bytes fit it unchanged.
  std::vector<queues::KernelArgInfo> args;
  uint32_t explicit_args_size = 0;  // = param_size

  // Shared memory: .nv.shared.<name> (SHT_NOBITS) size, 0 when absent. On sm_90 it includes the
  // 1 KiB the driver reserves at offset 0 (static data starts at 0x400); on sm_86 it does not.
  uint32_t shared_size = 0;
  uint32_t static_shared_bytes = 0;  // the kernel's own __shared__ bytes (shared_size - reserve)

  std::vector<NvInfoRecord> info;  // every record of .nv.info.<name>, in file order
};

struct CubinRelocation {
  uint64_t offset = 0;        // in the image: the first byte of the patched field's word
  uint32_t type = 0;          // R_CUDA_*
  uint64_t symbol_value = 0;  // image offset of the symbol (or an absolute value, see below)
  bool absolute = false;      // symbol_value is not image-relative (SHN_ABS, undefined weak, none)
  int64_t addend = 0;         // RELA r_addend; for REL the value found in the field
};

struct Cubin {
  uint32_t sm = 0;  // from e_flags: 86, 90, ...
  uint32_t e_flags = 0;
  uint8_t os_abi = 0, abi_version = 0;
  bool simulated = false;      // .text.<k> hold simulator stubs (SimNvEntryStub), not SASS
  std::vector<uint8_t> image;  // see the file comment
  std::vector<CubinRelocation> relocations;
  std::vector<CubinKernel> kernels;   // in symbol-table order
  std::vector<CubinConstBank> banks;  // module-wide .nv.constant<N>
  // __device__ data in the image: .nv.global (zeroed) and .nv.global.init (initialized); a size
  // of 0 means the section is absent.
  uint64_t global_offset = 0, global_size = 0;
  uint64_t global_init_offset = 0, global_init_size = 0;
  std::vector<NvInfoRecord> info;  // every record of .nv.info, in file order

  const CubinKernel* kernel(std::string_view name) const;
};

// Parses a cubin (e_machine EM_CUDA). Errors: Error::invalid, op "cubin" or "cubin: <where>",
// with a hint naming what is wrong (a truncated record, a parameter outside the parameter area,
// an unknown relocation type, ...); the ELF checks of core::ElfView come first.
core::Result<Cubin> parse_cubin(std::span<const uint8_t> bytes);

// Refuses a cubin a device of SM `device_sm` (86, 90) cannot run. SASS is compatible only
// within one major version and upwards (CUDA C++ Programming Guide, "Binary Compatibility":
// a cubin for X.y runs on X.z with z >= y), e.g.
//   Error::unsupported("load cubin", "built for sm_86, device is sm_90; rebuild with -arch=sm_90")
core::Status check_target(const Cubin& cubin, uint32_t device_sm);

// "sm_90" / "sm_90a" -> 90; nullopt otherwise.
std::optional<uint32_t> sm_from_name(std::string_view name);
// NV2080_CTRL_CMD_GR_GET_INFO SM_VERSION (0x806, 0x900) -> 86, 90.
constexpr uint32_t sm_from_gr_sm_version(uint32_t v) { return (v >> 8) * 10 + (v & 0xff); }

// Applies the relocations for an image loaded at GPU address `base`: R_CUDA_32, R_CUDA_64,
// R_CUDA_ABS32_LO_32, R_CUDA_ABS32_HI_32 (cubin.h). Any other type, or a field outside the
// image, is an error naming it. Applying the same list twice gives the same bytes.
core::Status relocate(std::span<uint8_t> image, uint64_t base,
                      std::span<const CubinRelocation> relocations);

// Per-launch values of the driver words of constant bank 0 (cubin.h kCbank0*).
struct Cbank0Launch {
  queues::Dim3 grid, block;
  uint64_t shared_window = 0;  // SET_SHADER_SHARED_MEMORY_WINDOW (4 GiB aligned on sm_90)
  uint64_t local_window = 0;   // SET_SHADER_LOCAL_MEMORY_WINDOW
  uint32_t stack_pointer = kCbank0DefaultStackPointer;
  uint32_t dynamic_shared_bytes = 0;
  uint64_t grid_id = 0;   // any unique id per launch (UNCONFIRMED what CUDA writes)
  uint32_t sm_count = 0;  // %nsmid (UNCONFIRMED)
};

// Builds constant bank 0 for one launch into out[0, kernel.cbank0_size): zeroes it, writes the
// driver words the SASS reads (block and grid dims, shared and local windows, stack pointer,
// dynamic shared size, grid id, SM count, total shared size; the global-memory descriptor word
// stays 0 as tinygrad leaves it — UNCONFIRMED on sm_90) and copies each parameter from `args`
// (bytes laid out like a C struct, e.g. queues::KernelArgs::bytes()) at its KPARAM_INFO offset.
// Allocates nothing. Errors: args.size() != explicit_args_size, out too small, an SM whose cbuf0
// layout rawgpu does not know (Blackwell and later).
core::Status marshal_cbank0(const CubinKernel& kernel, const Cbank0Launch& launch,
                            std::span<const uint8_t> args, std::span<uint8_t> out);

// Bytes of shared memory a launch of `kernel` with `dynamic_bytes` of dynamic shared memory
// needs (QMD SHARED_MEMORY_SIZE): sm_90 round_up(max(shared_size, 0x400) + dynamic, 256)
// (nvidia-hopper.md §4.3); before sm_90 tinygrad's round_up(0x400 + shared_size + dynamic, 128)
// (nvidia.md §6.2).
uint32_t launch_shared_bytes(const CubinKernel& kernel, uint32_t dynamic_bytes);

}  // namespace rawgpu::nv

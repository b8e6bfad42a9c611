// rawgpu — Adreno programs: the compiled-kernel library the Qualcomm OpenCL compiler produces (as
// tinygrad's QCOMProgram._parse_lib reads it), and simulator code objects in the same container.
//
// Facts: shared/abi/qcom-kgsl.md §4.1 (tinygrad runtime/ops_qcom.py, runtime/support/
// compiler_qcom.py). The sheet has no sample binary; tests/qcom/loader_test.cpp builds synthetic
// libraries in the documented layout. What the layout is NOT known to say (the argument sizes,
// whether a type-0 argument is a buffer or a scalar, the header bytes other than num_sections) is
// left open here too: tinygrad takes buffers-then-scalars from its own renderer.
//
// Library layout (little-endian u32s):
//   0x00  48-byte header; num_sections @ 0x18
//   0x30  section table: num_sections entries of {id, offset, size, count, entry_size}
//   section 0  PROGRAM     register descriptor: fregs @ +0x14, hregs @ +0x18
//   section 6  CONSTS      40-byte records: value @ +0, offset @ +16, is32 @ +24 (size 2 << is32;
//                          byte position offset * size); present when size != 0
//   section 7  IMAGE       machine code starts at its offset ...
//   section 10 CODE        ... and its size is this section's size
//   section 11 IMAGE_DESC  prg_offset @ +0xC4, pvtmem @ +0xC8, shmem @ +0xD8, samp_cnt @ +0xDC,
//                          brnchstck @ +0x108 (2x the HW value), kernel name @ +0x158; argument
//                          records at round_up(desc + 0x158 + strlen(name), 4) + 8 * samp_cnt:
//                          u32[0] length (>= 32; 0 ends the list), u32[3] offset in dwords into
//                          the constant file, u32[7] type (0 buffer/scalar, 1 texture, 2 IBO)
// tinygrad reads the fixed file positions of sections 0, 6, 7, 10, 11 (0x34, 0xAC/0xB0, 0xC0,
// 0x100, 0x110); this parser looks the sections up by id, which agrees for a library whose table
// is in id order.
//
// Loading (KGSL backend):
//   core::Result<QcomProgram> p = qcom::parse_qcom_program(bytes);
//   const QcomKernel* k = p->find("saxpy");
//   upload k->code to a 128-byte aligned GPU buffer; DispatchParams{.instrlen = k->instrlen,
//   .prg_offset = k->prg_offset, .full_regs = k->fregs, .half_regs = k->hregs, .branchstack =
//   k->branchstack, .pvt_mem_per_item = k->pvtmem, .shared_bytes = k->shmem, ...}; write buffer
//   VAs / scalars at args[i].offset of the constant buffer, constants at consts[i].offset.
//
// Simulator code objects (sim/code_object_pack.h pack_qcom_sim_code_object): one library per
// kernel, each 256-byte aligned, chained by SimQcomEntryStub::next_library. The IMAGE of each is a
// SimQcomEntryStub followed by a SimQcomBlobHeader and the host shared object, so the image a
// backend uploads to SP_CS_BASE carries everything the simulator needs. A real compiler library
// is a single library; the parser flags kernels whose image starts with the stub as simulated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace rawgpu::qcom {

// ---- layout constants (fact sheet §4.1) --------------------------------------------------------
inline constexpr uint32_t kLibHeaderSize = 0x30;
inline constexpr uint32_t kLibNumSectionsAt = 0x18;
inline constexpr uint32_t kLibSectionTableAt = 0x30;
inline constexpr uint32_t kLibSectionEntrySize = 20;
inline constexpr uint32_t kSecProgram = 0;
inline constexpr uint32_t kSecConsts = 6;
inline constexpr uint32_t kSecImage = 7;
inline constexpr uint32_t kSecCode = 10;
inline constexpr uint32_t kSecImageDesc = 11;
inline constexpr uint32_t kRegDescFregs = 0x14;
inline constexpr uint32_t kRegDescHregs = 0x18;
inline constexpr uint32_t kConstRecordSize = 40;
inline constexpr uint32_t kDescPrgOffset = 0xC4;
inline constexpr uint32_t kDescPvtmem = 0xC8;
inline constexpr uint32_t kDescShmem = 0xD8;
inline constexpr uint32_t kDescSampCnt = 0xDC;
inline constexpr uint32_t kDescBrnchstck = 0x108;
inline constexpr uint32_t kDescName = 0x158;
inline constexpr uint32_t kArgRecordMin = 32;
inline constexpr uint32_t kArgTypeBuffer = 0;  // buffer VA (u64) or scalar
inline constexpr uint32_t kArgTypeTexture = 1;  // read-only image -> texture descriptor
inline constexpr uint32_t kArgTypeIbo = 2;      // writable image -> IBO descriptor
inline constexpr uint32_t kConstFileBytes = 2048;  // c0..c127 (fact sheet §3.3)
inline constexpr uint32_t kInstrUnitBytes = 128;

enum class ArgKind : uint8_t {
  kBufferOrValue,  // a type-0 record of a compiler library: the format does not say which
  kBuffer,         // a buffer VA (u64) — simulator code objects know
  kValue,          // a scalar — simulator code objects know
  kTexture,        // type 1
  kImage,          // type 2 (IBO)
};
const char* arg_kind_name(ArgKind k);

struct QcomArg {
  uint32_t offset = 0;  // byte offset in the constant buffer (record offset * 4)
  uint32_t size = 0;    // bytes; 0 when the library does not say (compiler output)
  ArgKind kind = ArgKind::kBufferOrValue;
};
struct QcomConst {
  uint32_t value = 0;
  uint32_t offset = 0;  // byte offset in the constant buffer
  uint32_t size = 0;    // 2 or 4
};

struct QcomKernel {
  std::string name;
  uint32_t library_offset = 0;   // where this kernel's library starts in the file
  uint32_t code_offset = 0;      // file offset of the image
  std::vector<uint8_t> code;     // the image (SP_CS_BASE content)
  uint32_t instrlen = 0;         // ceil(code.size() / 128): SP_CS_INSTR_SIZE and the preload
  uint32_t prg_offset = 0;       // SP_CS_PROGRAM_COUNTER_OFFSET
  uint32_t fregs = 0, hregs = 0; // register footprints
  uint32_t branchstack = 0;      // HW value (the library's brnchstck / 2)
  uint32_t pvtmem = 0;           // private bytes per work-item
  uint32_t shmem = 0;            // local memory bytes per work-group
  uint32_t samplers = 0;
  uint32_t textures = 0, ibos = 0;
  std::vector<QcomArg> args;
  std::vector<QcomConst> consts;
  bool simulated = false;
  std::string sim_symbol;        // host function (simulated only)
  uint32_t sim_chip_id = 0;      // the chip the simulator object was packed for (0 = any)
  uint32_t sim_param_size = 0;   // bytes of explicit arguments (simulated only)
};

struct QcomProgram {
  std::vector<QcomKernel> kernels;
  bool simulated = false;
  const QcomKernel* find(std::string_view name) const;
};

// Parses a compiler library or a chain of simulator libraries. Every offset and size is
// bounds-checked; errors are core::Error::invalid("parse Adreno library at 0x…", "<what is wrong>").
core::Result<QcomProgram> parse_qcom_program(std::span<const uint8_t> file);

// ---- simulator code objects --------------------------------------------------------------------
inline constexpr char kSimQcomBlobMagic[8] = {'R', 'G', 'S', 'I', 'M', 'Q', 'B', '1'};
inline constexpr char kSimQcomEntryMagic[8] = {'R', 'G', 'S', 'I', 'M', 'Q', 'K', '1'};
inline constexpr uint32_t kSimQcomMaxArgs = 32;
// Register footprint the packer declares (any in-range value works in the simulator).
inline constexpr uint32_t kSimQcomFullRegs = 4;

struct SimQcomBlobHeader {
  char magic[8];         // kSimQcomBlobMagic
  uint32_t abi_version;  // RG_SIM_ABI_VERSION (sim/kernel_abi.h)
  uint32_t so_size;      // bytes of the host shared object that follows
  uint64_t so_hash;      // kfd::sim_hash() of those bytes (the simulator's cache key)
  uint64_t reserved;
};
static_assert(sizeof(SimQcomBlobHeader) == 32);

// At offset 0 of a simulated kernel's image (so at SP_CS_BASE on the GPU).
struct SimQcomEntryStub {
  char magic[8];          // kSimQcomEntryMagic
  uint32_t blob_offset;   // SimQcomBlobHeader offset from the start of this stub (in the image)
  uint32_t next_library;  // bytes from this library's start to the next one; 0 = the last
  uint32_t param_size;    // bytes of explicit arguments at the start of the constant buffer
  uint32_t shared_size;   // local memory the host kernel declared (`lds`)
  uint32_t private_size;  // private bytes per work-item (`private`)
  uint32_t num_args;      // <= kSimQcomMaxArgs
  uint32_t chip_id;       // the chip it was packed for (a6xx::ChipInfo::chip_id); 0 = any
  uint32_t reserved;
  uint8_t arg_kinds[kSimQcomMaxArgs];    // 0 buffer, 1 value
  uint16_t arg_sizes[kSimQcomMaxArgs];   // bytes
  char symbol[120];       // host function name, NUL-terminated
};
static_assert(sizeof(SimQcomEntryStub) == 256);
static_assert(offsetof(SimQcomEntryStub, blob_offset) == 8);
static_assert(offsetof(SimQcomEntryStub, arg_kinds) == 40);
static_assert(offsetof(SimQcomEntryStub, symbol) == 136);

}  // namespace rawgpu::qcom

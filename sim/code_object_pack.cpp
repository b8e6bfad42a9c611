#include "sim/code_object_pack.h"

#include <elf.h>

#ifndef MSGPACK_NO_BOOST
#define MSGPACK_NO_BOOST 1
#endif
#include <msgpack.hpp>

#include <cctype>
#include <cstring>

#include "core/elf.h"
#include "core/elf_writer.h"
#include "kfd/hsaco.h"
#include "kfd/packets.h"
#include "nv_ioctl/cubin.h"
#include "qcom_kgsl/loader.h"
#include "sim/kernel_abi.h"

namespace rawgpu::sim {
namespace {

using core::Error;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ident(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

}  // namespace

core::Result<SimKernelDecl> parse_sim_kernel_decl(std::string_view desc) {
  const std::string op = "sim kernel '" + std::string(desc) + "'";
  size_t open = desc.find('(');
  if (open == std::string_view::npos || desc.empty() || desc.back() != ')')
    return Error::invalid(op, "expected NAME(ARGS)");
  SimKernelDecl d;
  d.name = std::string(trim(desc.substr(0, open)));
  if (!ident(d.name)) return Error::invalid(op, "kernel name is not an identifier");
  d.host_symbol = "rg_sim_kernel_" + d.name;
  std::string_view rest = desc.substr(open + 1, desc.size() - open - 2);
  uint32_t off = 0;
  while (!trim(rest).empty()) {
    size_t semi = rest.find(';');
    std::string_view item = trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    size_t sp = item.find(' ');
    if (sp == std::string_view::npos) return Error::invalid(op, "argument '" + std::string(item) + "' is not 'TYPE NAME'");
    std::string_view type = item.substr(0, sp), name = trim(item.substr(sp + 1));
    if (type == "lds" || type == "private") {
      uint32_t v = 0;
      for (char c : name) {
        if (c < '0' || c > '9' || v > 1u << 20) return Error::invalid(op, "bad " + std::string(type) + " size");
        v = v * 10 + static_cast<uint32_t>(c - '0');
      }
      (type == "lds" ? d.lds : d.private_bytes) = v;
      continue;
    }
    SimKernelArg a;
    a.type = std::string(type);
    a.name = std::string(name);
    if (type == "ptr" || type == "u64" || type == "i64" || type == "f64") a.size = 8;
    else if (type == "u32" || type == "i32" || type == "f32") a.size = 4;
    else return Error::invalid(op, "unknown argument type '" + std::string(type) + "'");
    if (!ident(name)) return Error::invalid(op, "argument name '" + std::string(name) + "' is not an identifier");
    a.align = a.size;
    a.pointer = type == "ptr";
    off = (off + a.align - 1) & ~(a.align - 1);
    d.offsets.push_back(off);
    off += a.size;
    d.args.push_back(std::move(a));
  }
  d.explicit_size = off;
  return d;
}

core::Result<std::vector<SimKernelDecl>> read_sim_kernels(std::span<const uint8_t> host_so) {
  RAWGPU_ASSIGN(core::ElfView elf, core::ElfView::parse(host_so));
  const core::ElfSection* sec = elf.find_section(".rawgpu_sim");
  if (!sec || sec->data.empty())
    return Error::invalid("sim kernels", "host object has no .rawgpu_sim section (no RG_SIM_KERNEL)");
  std::vector<SimKernelDecl> out;
  std::string_view all(reinterpret_cast<const char*>(sec->data.data()), sec->data.size());
  while (!all.empty()) {
    size_t nul = all.find('\0');
    std::string_view one = all.substr(0, nul);
    all = nul == std::string_view::npos ? std::string_view{} : all.substr(nul + 1);
    if (one.empty()) continue;  // padding between descriptors
    RAWGPU_ASSIGN(SimKernelDecl d, parse_sim_kernel_decl(one));
    const core::ElfSymbol* fn = elf.find_symbol(d.host_symbol);
    if (!fn || !fn->defined() || fn->type != STT_FUNC)
      return Error::invalid("sim kernel " + d.name, "host function " + d.host_symbol + " is not defined");
    out.push_back(std::move(d));
  }
  return out;
}

core::Result<std::vector<uint8_t>> pack_amd_sim_code_object(std::span<const uint8_t> host_so,
                                                           std::string_view gfx_target) {
  auto target = kfd::gfx_target_by_name(gfx_target);
  if (!target) return Error::unsupported("pack sim code object", "unknown target " + std::string(gfx_target));
  RAWGPU_ASSIGN(std::vector<SimKernelDecl> kernels, read_sim_kernels(host_so));
  const bool wave32 = target->gfx_target_version >= 100000;

  // .text: blob header + host object, then one 256-byte entry stub per kernel.
  std::vector<uint8_t> text(sizeof(kfd::SimBlobHeader), 0);
  kfd::SimBlobHeader bh{};
  std::memcpy(bh.magic, kfd::kSimBlobMagic, sizeof bh.magic);
  bh.abi_version = RG_SIM_ABI_VERSION;
  bh.so_size = static_cast<uint32_t>(host_so.size());
  bh.so_hash = kfd::sim_hash(host_so.data(), host_so.size());
  std::memcpy(text.data(), &bh, sizeof bh);
  text.insert(text.end(), host_so.begin(), host_so.end());
  std::vector<uint64_t> entry_off;
  for (size_t i = 0; i < kernels.size(); ++i) {
    text.resize((text.size() + kfd::kKernelEntryAlign - 1) & ~(kfd::kKernelEntryAlign - 1), 0);
    entry_off.push_back(text.size());
    text.resize(text.size() + sizeof(kfd::SimEntryStub), 0);
  }
  std::vector<uint8_t> rodata(kernels.size() * sizeof(kfd::kernel_descriptor_t), 0);

  core::ElfWriter w(ET_DYN, kfd::kEmAmdgpu, kfd::kElfOsAbiAmdgpuHsa, kfd::kAbiVersionV5,
                    target->mach | 0x100 /* xnack "any" */);

  // Metadata (code object v5, shared/abi/amd-kfd.md §8.4).
  msgpack::sbuffer meta;
  msgpack::packer<msgpack::sbuffer> p(meta);
  p.pack_map(3);
  p.pack(std::string("amdhsa.version"));
  p.pack_array(2);
  p.pack(1);
  p.pack(2);
  p.pack(std::string("amdhsa.target"));
  p.pack("amdgcn-amd-amdhsa--" + std::string(gfx_target));
  p.pack(std::string("amdhsa.kernels"));
  p.pack_array(static_cast<uint32_t>(kernels.size()));
  static const char* kHidden[][2] = {
      {"hidden_block_count_x", "4"}, {"hidden_block_count_y", "4"}, {"hidden_block_count_z", "4"},
      {"hidden_group_size_x", "2"},  {"hidden_group_size_y", "2"},  {"hidden_group_size_z", "2"},
      {"hidden_remainder_x", "2"},   {"hidden_remainder_y", "2"},   {"hidden_remainder_z", "2"},
      {"hidden_grid_dims", "2"}};
  static const uint32_t kHiddenOff[] = {0, 4, 8, 12, 14, 16, 18, 20, 22, 64};
  std::vector<uint32_t> kernarg_sizes;
  for (const SimKernelDecl& k : kernels) {
    const uint32_t hidden_base = (k.explicit_size + 7) & ~7u;
    const uint32_t kernarg_size = hidden_base + kfd::kHiddenArgsSize;
    kernarg_sizes.push_back(kernarg_size);
    p.pack_map(11);
    p.pack(std::string(".name"));
    p.pack(k.name);
    p.pack(std::string(".symbol"));
    p.pack(k.name + ".kd");
    p.pack(std::string(".kernarg_segment_size"));
    p.pack(kernarg_size);
    p.pack(std::string(".kernarg_segment_align"));
    p.pack(8);
    p.pack(std::string(".group_segment_fixed_size"));
    p.pack(k.lds);
    p.pack(std::string(".private_segment_fixed_size"));
    p.pack(k.private_bytes);
    p.pack(std::string(".wavefront_size"));
    p.pack(wave32 ? 32 : 64);
    p.pack(std::string(".sgpr_count"));
    p.pack(16);
    p.pack(std::string(".vgpr_count"));
    p.pack(32);
    p.pack(std::string(".max_flat_workgroup_size"));
    p.pack(1024);
    p.pack(std::string(".args"));
    p.pack_array(static_cast<uint32_t>(k.args.size() + std::size(kHidden)));
    for (size_t a = 0; a < k.args.size(); ++a) {
      p.pack_map(4);
      p.pack(std::string(".name"));
      p.pack(k.args[a].name);
      p.pack(std::string(".offset"));
      p.pack(k.offsets[a]);
      p.pack(std::string(".size"));
      p.pack(k.args[a].size);
      p.pack(std::string(".value_kind"));
      p.pack(std::string(k.args[a].pointer ? "global_buffer" : "by_value"));
    }
    for (size_t h = 0; h < std::size(kHidden); ++h) {
      p.pack_map(3);
      p.pack(std::string(".offset"));
      p.pack(hidden_base + kHiddenOff[h]);
      p.pack(std::string(".size"));
      p.pack(static_cast<uint32_t>(kHidden[h][1][0] - '0'));
      p.pack(std::string(".value_kind"));
      p.pack(std::string(kHidden[h][0]));
    }
  }
  w.add_note(".note", "AMDGPU", kfd::kNtAmdgpuMetadata,
             std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(meta.data()), meta.size()));
  const uint16_t ro = w.add_section(".rodata", SHT_PROGBITS, SHF_ALLOC, rodata, 64);
  const uint16_t tx = w.add_section(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, text, 256);
  for (size_t i = 0; i < kernels.size(); ++i) {
    w.add_symbol(kernels[i].name + ".kd", ro, i * 64, 64, STT_OBJECT, STB_GLOBAL);
    w.add_symbol(kernels[i].name, tx, entry_off[i], sizeof(kfd::SimEntryStub), STT_FUNC, STB_GLOBAL);
  }
  std::vector<uint8_t> elf = w.finish();

  // Now that addresses are known, fill the descriptors and entry stubs in the file image
  // (allocated sections have file offset == address).
  const uint64_t ro_addr = w.section_addr(ro), tx_addr = w.section_addr(tx);
  for (size_t i = 0; i < kernels.size(); ++i) {
    const uint64_t kd_addr = ro_addr + i * 64, entry_addr = tx_addr + entry_off[i];
    kfd::kernel_descriptor_t kd{};
    kd.group_segment_fixed_size = kernels[i].lds;
    kd.kernarg_size = kernarg_sizes[i];
    kd.kernel_code_entry_byte_offset = static_cast<int64_t>(entry_addr) - static_cast<int64_t>(kd_addr);
    kd.compute_pgm_rsrc1 = 0x7;  // VGPRS granule count; the simulator ignores it
    // Private memory as clang marks it: SCRATCH_EN, and on targets without architected flat
    // scratch the private segment buffer V# in the first 4 user SGPRs (shared/abi/amd-kfd.md §8.3, §8.5).
    const bool priv = kernels[i].private_bytes != 0;
    const bool vsharp = priv && !kfd::architected_flat_scratch(target->gfx_target_version);
    kd.private_segment_fixed_size = kernels[i].private_bytes;
    kd.compute_pgm_rsrc2 = ((vsharp ? 6u : 2u) << kfd::COMPUTE_PGM_RSRC2_USER_SGPR_COUNT_SHIFT) |
                           (priv ? kfd::COMPUTE_PGM_RSRC2_ENABLE_PRIVATE_SEGMENT : 0) |
                           kfd::COMPUTE_PGM_RSRC2_ENABLE_SGPR_WORKGROUP_ID_X |
                           kfd::COMPUTE_PGM_RSRC2_ENABLE_SGPR_WORKGROUP_ID_Y |
                           kfd::COMPUTE_PGM_RSRC2_ENABLE_SGPR_WORKGROUP_ID_Z;
    kd.kernel_code_properties = kfd::KERNEL_CODE_PROPERTY_ENABLE_SGPR_KERNARG_SEGMENT_PTR |
                                (vsharp ? kfd::KERNEL_CODE_PROPERTY_ENABLE_SGPR_PRIVATE_SEGMENT_BUFFER : 0) |
                                (wave32 ? kfd::KERNEL_CODE_PROPERTY_ENABLE_WAVEFRONT_SIZE32 : 0);
    std::memcpy(elf.data() + kd_addr, &kd, sizeof kd);
    kfd::SimEntryStub st{};
    std::memcpy(st.magic, kfd::kSimEntryMagic, sizeof st.magic);
    st.blob_offset = static_cast<int64_t>(tx_addr) - static_cast<int64_t>(entry_addr);
    st.kd_offset = static_cast<int64_t>(kd_addr) - static_cast<int64_t>(entry_addr);
    if (kernels[i].host_symbol.size() >= sizeof st.symbol)
      return Error::invalid("sim kernel " + kernels[i].name, "name too long");
    std::memcpy(st.symbol, kernels[i].host_symbol.c_str(), kernels[i].host_symbol.size() + 1);
    std::memcpy(elf.data() + entry_addr, &st, sizeof st);
  }
  return elf;
}

namespace {

// Appends an .nv.info record (nv_ioctl/cubin.h NvInfoHeader).
void nv_info_value(std::vector<uint8_t>& out, uint8_t format, uint8_t attribute, uint16_t value) {
  const nv::NvInfoHeader h{format, attribute, value};
  const auto* p = reinterpret_cast<const uint8_t*>(&h);
  out.insert(out.end(), p, p + sizeof h);
}

template <typename T>
void nv_info_sval(std::vector<uint8_t>& out, uint8_t attribute, const T& data) {
  nv_info_value(out, nv::EIFMT_SVAL, attribute, static_cast<uint16_t>(sizeof data));
  const auto* p = reinterpret_cast<const uint8_t*>(&data);
  out.insert(out.end(), p, p + sizeof data);
}

template <typename T>
void append_pod(std::vector<uint8_t>& out, const T& v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

}  // namespace

core::Result<std::vector<uint8_t>> pack_nv_sim_code_object(std::span<const uint8_t> host_so,
                                                           std::string_view sm_name) {
  const std::string op = "pack sim cubin " + std::string(sm_name);
  std::optional<nv::SmFacts> facts;
  if (sm_name.size() == 5 && sm_name.starts_with("sm_") &&
      std::isdigit(static_cast<unsigned char>(sm_name[3])) &&
      std::isdigit(static_cast<unsigned char>(sm_name[4])))
    facts = nv::sm_facts(static_cast<uint32_t>((sm_name[3] - '0') * 10 + (sm_name[4] - '0')));
  if (!facts)
    return Error::unsupported(op,
                              "unknown target; simulator cubins are built for sm_86 and sm_90 "
                              "(nv_ioctl/cubin.h kSmFacts)");
  RAWGPU_ASSIGN(std::vector<SimKernelDecl> kernels, read_sim_kernels(host_so));
  const uint32_t sm = facts->sm;
  // nvcc 13.0 writes SHT_REL relocations for sm_86 and SHT_RELA for sm_90 (nvidia-hopper.md §4.1).
  const bool rela = sm >= 90;
  const size_t n = kernels.size();
  size_t n_shared = 0;
  for (const SimKernelDecl& k : kernels) {
    if (k.host_symbol.size() >= sizeof(nv::SimNvEntryStub::symbol))
      return Error::invalid("sim kernel " + k.name, "name too long for the cubin entry stub");
    if (k.explicit_size > 0xffffu - facts->param_offset)
      return Error::invalid("sim kernel " + k.name, "arguments do not fit constant bank 0");
    if (k.lds) ++n_shared;
  }

  // Section indices, in the order added below; ElfWriter appends .symtab right after them.
  const uint32_t kInfo = 1;
  const uint32_t kKernelInfo = 2;                                // + i
  const uint32_t kRel = kKernelInfo + static_cast<uint32_t>(n);  // + i
  const uint32_t kBlob = kRel + static_cast<uint32_t>(n);
  const uint32_t kText = kBlob + 1;                                    // + i
  const uint32_t kShared = kText + static_cast<uint32_t>(n);           // + j
  const uint32_t kConst0 = kShared + static_cast<uint32_t>(n_shared);  // + i
  const uint32_t kSymtab = kConst0 + static_cast<uint32_t>(n);
  // Symbols: locals first (ElfWriter keeps that order): the blob's section symbol, then per kernel
  // the section symbols of .text.<k> (2 + 2i) and .nv.constant0.<k>; then the kernels.
  const uint32_t kBlobSym = 1;
  auto const0_sym = [](size_t i) { return static_cast<uint32_t>(3 + 2 * i); };
  auto func_sym = [n](size_t i) { return static_cast<uint32_t>(2 + 2 * n + i); };

  core::ElfWriter w(ET_EXEC, nv::kEmCuda, nv::kNvElfOsAbi41, nv::kNvElfAbiVersion,
                    nv::kEfCudaNvcc13Bits | (sm << nv::kEfCudaSmShift));
  auto add = [&](uint32_t expect, const std::string& name, uint32_t type, uint64_t flags,
                 std::span<const uint8_t> data, uint64_t align, uint64_t entsize, uint32_t link,
                 uint32_t info) -> core::Status {
    if (w.add_section(name, type, flags, data, align, entsize, link, info) != expect)
      return Error::internal(op,
                             "section " + name + " did not get index " + std::to_string(expect));
    return {};
  };

  std::vector<uint8_t> info;
  for (size_t i = 0; i < n; ++i) {
    nv_info_sval(info, nv::EIATTR_REGCOUNT,
                 nv::EiattrSymbolValue{func_sym(i), nv::kSimNvRegisterCount});
    const uint32_t stack = kernels[i].private_bytes;  // local memory per thread, as nvcc's stack
    nv_info_sval(info, nv::EIATTR_FRAME_SIZE, nv::EiattrSymbolValue{func_sym(i), stack});
    nv_info_sval(info, nv::EIATTR_MIN_STACK_SIZE, nv::EiattrSymbolValue{func_sym(i), stack});
  }
  RAWGPU_TRY(add(kInfo, ".nv.info", nv::kShtNvInfo, 0, info, 4, 0, kSymtab, 0));
  for (size_t i = 0; i < n; ++i) {
    const SimKernelDecl& k = kernels[i];
    std::vector<uint8_t> ki;
    for (size_t a = k.args.size(); a-- > 0;)  // highest ordinal first, as nvcc
      nv_info_sval(
          ki, nv::EIATTR_KPARAM_INFO,
          nv::EiattrKparamInfo{0, static_cast<uint16_t>(a), static_cast<uint16_t>(k.offsets[a]),
                               nv::kparam_info_packed(k.args[a].size)});
    nv_info_value(ki, nv::EIFMT_HVAL, nv::EIATTR_MAXREG_COUNT, 0xff);
    if (k.lds) nv_info_value(ki, nv::EIFMT_BVAL, nv::EIATTR_NUM_BARRIERS, 1);
    if (k.explicit_size) {
      nv_info_value(ki, nv::EIFMT_HVAL, nv::EIATTR_CBANK_PARAM_SIZE,
                    static_cast<uint16_t>(k.explicit_size));
      nv_info_sval(ki, nv::EIATTR_PARAM_CBANK,
                   nv::EiattrParamCbank{const0_sym(i), static_cast<uint16_t>(facts->param_offset),
                                        static_cast<uint16_t>(k.explicit_size)});
    }
    RAWGPU_TRY(add(kKernelInfo + static_cast<uint32_t>(i), ".nv.info." + k.name, nv::kShtNvInfo,
                   SHF_INFO_LINK, ki, 4, 0, kSymtab, kText + static_cast<uint32_t>(i)));
  }
  // One R_CUDA_64 per stub, at blob_va, against the blob's section symbol. r_offset is fixed up
  // after layout (an address in ET_EXEC).
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint8_t> rel;
    const uint64_t r_info = (uint64_t{kBlobSym} << 32) | nv::R_CUDA_64;
    append_pod(rel, uint64_t{offsetof(nv::SimNvEntryStub, blob_va)});
    append_pod(rel, r_info);
    if (rela) append_pod(rel, int64_t{0});
    RAWGPU_TRY(add(kRel + static_cast<uint32_t>(i),
                   (rela ? ".rela.text." : ".rel.text.") + kernels[i].name,
                   rela ? SHT_RELA : SHT_REL, SHF_INFO_LINK, rel, 8, rela ? 24 : 16, kSymtab,
                   kText + static_cast<uint32_t>(i)));
  }
  std::vector<uint8_t> blob;
  nv::SimNvBlobHeader bh{};
  std::memcpy(bh.magic, nv::kSimNvBlobMagic, sizeof bh.magic);
  bh.abi_version = RG_SIM_ABI_VERSION;
  bh.so_size = static_cast<uint32_t>(host_so.size());
  bh.so_hash = kfd::sim_hash(host_so.data(), host_so.size());
  append_pod(blob, bh);
  blob.insert(blob.end(), host_so.begin(), host_so.end());
  RAWGPU_TRY(add(kBlob, nv::kSimNvBlobSection, SHT_PROGBITS, SHF_ALLOC, blob, 128, 0, 0, 0));
  for (size_t i = 0; i < n; ++i) {
    const SimKernelDecl& k = kernels[i];
    nv::SimNvEntryStub st{};
    std::memcpy(st.magic, nv::kSimNvEntryMagic, sizeof st.magic);
    st.param_offset = facts->param_offset;
    st.param_size = k.explicit_size;
    st.shared_size = k.lds;
    st.private_size = k.private_bytes;
    std::memcpy(st.symbol, k.host_symbol.c_str(), k.host_symbol.size() + 1);
    std::vector<uint8_t> text;
    append_pod(text, st);
    // sh_info: the kernel's symbol; sm_86 also puts the register count in bits 31:24.
    const uint32_t sh_info = func_sym(i) | (sm < 90 ? nv::kSimNvRegisterCount << 24 : 0);
    RAWGPU_TRY(add(kText + static_cast<uint32_t>(i), ".text." + k.name, SHT_PROGBITS,
                   SHF_ALLOC | SHF_EXECINSTR, text, 128, 0, kSymtab, sh_info));
  }
  uint32_t j = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!kernels[i].lds) continue;
    const std::vector<uint8_t> size_only(kernels[i].lds + facts->shared_reserve, 0);  // NOBITS
    RAWGPU_TRY(add(kShared + j++, ".nv.shared." + kernels[i].name, SHT_NOBITS,
                   SHF_WRITE | SHF_ALLOC | SHF_INFO_LINK, size_only, 16, 0, 0,
                   kText + static_cast<uint32_t>(i)));
  }
  for (size_t i = 0; i < n; ++i) {
    const std::vector<uint8_t> cb0(facts->param_offset + kernels[i].explicit_size, 0);
    RAWGPU_TRY(add(kConst0 + static_cast<uint32_t>(i), ".nv.constant0." + kernels[i].name,
                   SHT_PROGBITS, SHF_ALLOC | SHF_INFO_LINK, cb0, 4, 0, 0,
                   kText + static_cast<uint32_t>(i)));
  }

  w.add_symbol(nv::kSimNvBlobSection, static_cast<uint16_t>(kBlob), 0, 0, STT_SECTION, STB_LOCAL);
  for (size_t i = 0; i < n; ++i) {
    w.add_symbol(".text." + kernels[i].name, static_cast<uint16_t>(kText + i), 0, 0, STT_SECTION,
                 STB_LOCAL);
    w.add_symbol(".nv.constant0." + kernels[i].name, static_cast<uint16_t>(kConst0 + i), 0, 0,
                 STT_SECTION, STB_LOCAL);
  }
  for (size_t i = 0; i < n; ++i)
    w.add_symbol(kernels[i].name, static_cast<uint16_t>(kText + i), 0, sizeof(nv::SimNvEntryStub),
                 STT_FUNC, STB_GLOBAL);
  std::vector<uint8_t> elf = w.finish();

  // Relocation offsets are addresses in ET_EXEC: add each stub's section address.
  RAWGPU_ASSIGN(core::ElfView view, core::ElfView::parse(elf));
  if (view.sections().size() <= kSymtab || view.sections()[kSymtab].type != SHT_SYMTAB)
    return Error::internal(op, ".symtab is not at the expected index");
  std::vector<std::pair<uint64_t, uint64_t>> patches;  // file offset of r_offset, value
  for (size_t i = 0; i < n; ++i)
    patches.emplace_back(view.sections()[kRel + i].offset,
                         view.sections()[kText + i].addr + offsetof(nv::SimNvEntryStub, blob_va));
  for (const auto& [at, value] : patches) std::memcpy(elf.data() + at, &value, sizeof value);
  return elf;
}

core::Result<std::vector<uint8_t>> pack_qcom_sim_code_object(std::span<const uint8_t> host_so,
                                                             std::string_view chip) {
  using namespace rawgpu::qcom;
  const std::string op = "pack Adreno sim code object";
  if (chip != "a630" && chip != "a640" && chip != "a650" && chip != "a660") {
    return Error::invalid(op, "unknown chip '" + std::string(chip) +
                                  "' (a630, a640, a650, a660; a7xx dispatch is not supported)");
  }
  // The chip ids of the a6xx chip table (qcom_kgsl/a6xx.h kA630 … kA660).
  const uint32_t chip_id = chip == "a630"   ? 0x06030001u
                           : chip == "a640" ? 0x06040001u
                           : chip == "a650" ? 0x06050002u
                                            : 0x06060001u;
  core::Result<std::vector<SimKernelDecl>> decls = read_sim_kernels(host_so);
  if (!decls) return std::move(decls).error();
  if (decls->empty()) return Error::invalid(op, "the host object declares no RG_SIM_KERNEL");
  std::vector<uint8_t> out;
  auto put32 = [&](size_t at, uint32_t v) { std::memcpy(out.data() + at, &v, 4); };
  for (size_t ki = 0; ki < decls->size(); ++ki) {
    const SimKernelDecl& d = (*decls)[ki];
    if (d.args.size() > kSimQcomMaxArgs) {
      return Error::invalid(op, d.name + ": more than 32 arguments");
    }
    if (d.host_symbol.size() >= sizeof(SimQcomEntryStub::symbol)) {
      return Error::invalid(op, d.name + ": host symbol longer than 119 characters");
    }
    if (d.explicit_size > kConstFileBytes) {
      return Error::invalid(op, d.name + ": arguments exceed the 2048-byte constant file");
    }
    // Layout of one library (loader.h): header, 12-entry section table, register descriptor,
    // image descriptor + name + argument records, then the image at a 128-byte boundary.
    const size_t base = out.size();
    constexpr uint32_t kSections = 12;
    const uint32_t reg_off = kLibSectionTableAt + kSections * kLibSectionEntrySize;  // 0x120
    const uint32_t desc_off = reg_off + 0x20;
    const uint32_t args_off = (desc_off + kDescName + static_cast<uint32_t>(d.name.size()) + 3) / 4 * 4;
    const uint32_t desc_size = args_off - desc_off + kArgRecordMin * static_cast<uint32_t>(d.args.size()) + 4;
    const uint32_t image_off = (desc_off + desc_size + 127) / 128 * 128;
    const uint32_t image_size = static_cast<uint32_t>(sizeof(SimQcomEntryStub) + sizeof(SimQcomBlobHeader) + host_so.size());
    const uint32_t lib_end = image_off + image_size;
    const uint32_t lib_size = (lib_end + 255) / 256 * 256;
    out.resize(base + lib_size, 0);
    put32(base + kLibNumSectionsAt, kSections);
    auto section = [&](uint32_t id, uint32_t off, uint32_t size) {
      const size_t e = base + kLibSectionTableAt + size_t{id} * kLibSectionEntrySize;
      put32(e, id);
      put32(e + 4, off);
      put32(e + 8, size);
      put32(e + 12, size != 0 ? 1 : 0);
      put32(e + 16, 0);
    };
    for (uint32_t id = 0; id < kSections; ++id) section(id, 0, 0);
    section(kSecProgram, reg_off, 0x20);
    section(kSecImage, image_off, image_size);
    section(kSecCode, image_off, image_size);
    section(kSecImageDesc, desc_off, desc_size);
    put32(base + reg_off + kRegDescFregs, kSimQcomFullRegs);
    put32(base + reg_off + kRegDescHregs, 0);
    put32(base + desc_off + kDescPvtmem, d.private_bytes);
    put32(base + desc_off + kDescShmem, d.lds);
    std::memcpy(out.data() + base + desc_off + kDescName, d.name.data(), d.name.size());
    for (size_t i = 0; i < d.args.size(); ++i) {
      const size_t rec = base + args_off + i * kArgRecordMin;
      put32(rec, kArgRecordMin);
      put32(rec + 12, d.offsets[i] / 4);  // C-struct offsets of >= 4-byte types are dword aligned
      put32(rec + 28, kArgTypeBuffer);
    }
    SimQcomEntryStub stub{};
    std::memcpy(stub.magic, kSimQcomEntryMagic, sizeof stub.magic);
    stub.blob_offset = sizeof(SimQcomEntryStub);
    stub.next_library = ki + 1 < decls->size() ? lib_size : 0;
    stub.param_size = d.explicit_size;
    stub.shared_size = d.lds;
    stub.private_size = d.private_bytes;
    stub.num_args = static_cast<uint32_t>(d.args.size());
    stub.chip_id = chip_id;
    for (size_t i = 0; i < d.args.size(); ++i) {
      stub.arg_kinds[i] = d.args[i].pointer ? 0 : 1;
      stub.arg_sizes[i] = static_cast<uint16_t>(d.args[i].size);
    }
    std::memcpy(stub.symbol, d.host_symbol.data(), d.host_symbol.size());
    SimQcomBlobHeader bh{};
    std::memcpy(bh.magic, kSimQcomBlobMagic, sizeof bh.magic);
    bh.abi_version = RG_SIM_ABI_VERSION;
    bh.so_size = static_cast<uint32_t>(host_so.size());
    bh.so_hash = kfd::sim_hash(host_so.data(), host_so.size());
    std::memcpy(out.data() + base + image_off, &stub, sizeof stub);
    std::memcpy(out.data() + base + image_off + sizeof stub, &bh, sizeof bh);
    std::memcpy(out.data() + base + image_off + sizeof stub + sizeof bh, host_so.data(), host_so.size());
  }
  return out;
}

}  // namespace rawgpu::sim

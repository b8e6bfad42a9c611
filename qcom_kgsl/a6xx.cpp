#include "qcom_kgsl/a6xx.h"

namespace rawgpu::qcom::a6xx {

namespace {

namespace f = fields;
constexpr uint8_t k6 = kGenA6xx, k7 = kGenA7xx, kBoth = kGenAll;

// Fact sheet §3.1 (a6xx offsets; "both" where §5 says the offset is unchanged on a7xx) and §5
// (a7xx moves). Names: new Mesa (tinygrad autogen/mesa.py); old: a6xx.xml.h.
constexpr RegisterInfo kRegisters[] = {
    {0x0400, "RBBM_PERFCTR_CP_0", "RBBM_PERFCTR_CP_0_LO", f::kFullDword, k6},
    {0x0300, "RBBM_PERFCTR_CP_0", "RBBM_PERFCTR_CP_0_LO", f::kFullDword, k7},
    {CP_ALWAYS_ON_COUNTER, "CP_ALWAYS_ON_COUNTER", "", f::kAddressLo, kBoth},
    {CP_ALWAYS_ON_COUNTER + 1, "CP_ALWAYS_ON_COUNTER_HI", "", f::kAddressHi, kBoth},
    {SP_CS_CNTL_0, "SP_CS_CNTL_0", "SP_CS_CTRL_REG0", f::SP_CS_CNTL_0, kBoth},
    {SP_CS_CNTL_1, "SP_CS_CNTL_1", "SP_CS_UNKNOWN_A9B1", f::SP_CS_CNTL_1, kBoth},
    {SP_CS_BOOLEAN_CF_MASK, "SP_CS_BOOLEAN_CF_MASK", "SP_CS_BRANCH_COND", f::kFullDword, kBoth},
    {SP_CS_PROGRAM_COUNTER_OFFSET, "SP_CS_PROGRAM_COUNTER_OFFSET", "SP_CS_OBJ_FIRST_EXEC_OFFSET",
     f::kFullDword, kBoth},
    {SP_CS_BASE, "SP_CS_BASE", "SP_CS_OBJ_START", f::kAddressLo, kBoth},
    {SP_CS_BASE + 1, "SP_CS_BASE_HI", "SP_CS_OBJ_START_HI", f::kAddressHi, kBoth},
    {SP_CS_PVT_MEM_PARAM, "SP_CS_PVT_MEM_PARAM", "", f::SP_CS_PVT_MEM_PARAM, kBoth},
    {SP_CS_PVT_MEM_BASE, "SP_CS_PVT_MEM_BASE", "SP_CS_PVT_MEM_ADDR", f::kAddressLo, kBoth},
    {SP_CS_PVT_MEM_BASE + 1, "SP_CS_PVT_MEM_BASE_HI", "SP_CS_PVT_MEM_ADDR_HI", f::kAddressHi, kBoth},
    {SP_CS_PVT_MEM_SIZE, "SP_CS_PVT_MEM_SIZE", "", f::SP_CS_PVT_MEM_SIZE, kBoth},
    {SP_CS_TSIZE, "SP_CS_TSIZE", "SP_CS_TEX_COUNT", f::kFullDword, kBoth},
    {SP_CS_CONFIG, "SP_CS_CONFIG", "", f::SP_CS_CONFIG, kBoth},
    {SP_CS_INSTR_SIZE, "SP_CS_INSTR_SIZE", "SP_CS_INSTRLEN", f::kFullDword, kBoth},
    {SP_CS_PVT_MEM_STACK_OFFSET, "SP_CS_PVT_MEM_STACK_OFFSET", "SP_CS_PVT_MEM_HW_STACK_OFFSET",
     f::SP_CS_PVT_MEM_STACK_OFFSET, kBoth},
    {SP_CS_WIE_CNTL_0, "SP_CS_WIE_CNTL_0", "SP_CS_CNTL_0", f::SP_CS_CONST_CONFIG_0, kBoth},
    {SP_CS_WIE_CNTL_1, "SP_CS_WIE_CNTL_1", "SP_CS_CNTL_1", f::SP_CS_WGE_CNTL, k6},
    {SP_CS_WIE_CNTL_1, "SP_CS_WIE_CNTL_1", "SP_CS_CNTL_1", f::kFullDword, k7},  // a7xx layout differs
    {SP_CS_SAMPLER_BASE, "SP_CS_SAMPLER_BASE", "SP_CS_TEX_SAMP", f::kAddressLo, kBoth},
    {SP_CS_SAMPLER_BASE + 1, "SP_CS_SAMPLER_BASE_HI", "SP_CS_TEX_SAMP_HI", f::kAddressHi, kBoth},
    {SP_CS_TEXMEMOBJ_BASE, "SP_CS_TEXMEMOBJ_BASE", "SP_CS_TEX_CONST", f::kAddressLo, kBoth},
    {SP_CS_TEXMEMOBJ_BASE + 1, "SP_CS_TEXMEMOBJ_BASE_HI", "SP_CS_TEX_CONST_HI", f::kAddressHi, kBoth},
    {SP_CS_BINDLESS_BASE_0, "SP_CS_BINDLESS_BASE_0", "", f::kFullDword, kBoth},
    {SP_CS_UAV_BASE, "SP_CS_UAV_BASE", "SP_CS_IBO", f::kAddressLo, k6},
    {SP_CS_UAV_BASE + 1, "SP_CS_UAV_BASE_HI", "SP_CS_IBO_HI", f::kAddressHi, k6},
    {a7xx::SP_CS_UAV_BASE, "SP_CS_UAV_BASE", "SP_CS_IBO", f::kAddressLo, k7},
    {a7xx::SP_CS_UAV_BASE + 1, "SP_CS_UAV_BASE_HI", "SP_CS_IBO_HI", f::kAddressHi, k7},
    {SP_CS_USIZE, "SP_CS_USIZE", "SP_CS_IBO_COUNT", f::kFullDword, kBoth},
    {SP_MODE_CNTL, "SP_MODE_CNTL", "SP_MODE_CONTROL", f::SP_MODE_CNTL, kBoth},
    {SP_PS_INSTR_SIZE, "SP_PS_INSTR_SIZE", "SP_FS_INSTRLEN", f::kFullDword, kBoth},
    {SP_PERFCTR_SHADER_MASK, "SP_PERFCTR_SHADER_MASK", "SP_PERFCTR_ENABLE",
     f::SP_PERFCTR_SHADER_MASK, kBoth},
    {TPL1_CS_BORDER_COLOR_BASE, "TPL1_CS_BORDER_COLOR_BASE", "SP_PS_TP_BORDER_COLOR_BASE_ADDR",
     f::kAddressLo, kBoth},
    {TPL1_CS_BORDER_COLOR_BASE + 1, "TPL1_CS_BORDER_COLOR_BASE_HI",
     "SP_PS_TP_BORDER_COLOR_BASE_ADDR_HI", f::kAddressHi, kBoth},
    {TPL1_MODE_CNTL, "TPL1_MODE_CNTL", "SP_TP_MODE_CNTL", f::TPL1_MODE_CNTL, kBoth},
    {TPL1_DBG_ECO_CNTL, "TPL1_DBG_ECO_CNTL", "", f::kFullDword, kBoth},
    {0xB983, "SP_REG_PROG_ID_0", "HLSQ_CONTROL_2_REG", f::kFullDword, k6},
    {0xB984, "SP_REG_PROG_ID_1", "HLSQ_CONTROL_3_REG", f::kFullDword, k6},
    {0xB985, "SP_REG_PROG_ID_2", "HLSQ_CONTROL_4_REG", f::kFullDword, k6},
    {0xB986, "SP_REG_PROG_ID_3", "HLSQ_CONTROL_5_REG", f::kFullDword, k6},
    {SP_CS_CONST_CONFIG, "SP_CS_CONST_CONFIG", "HLSQ_CS_CNTL", f::SP_CS_CONST_CONFIG, k6},
    {0xB990, "SP_CS_NDRANGE_0", "HLSQ_CS_NDRANGE_0", f::SP_CS_NDRANGE_0, k6},
    {0xB991, "SP_CS_NDRANGE_1", "HLSQ_CS_NDRANGE_1", f::kGlobalSize, k6},
    {0xB992, "SP_CS_NDRANGE_2", "HLSQ_CS_NDRANGE_2", f::kGlobalOff, k6},
    {0xB993, "SP_CS_NDRANGE_3", "HLSQ_CS_NDRANGE_3", f::kGlobalSize, k6},
    {0xB994, "SP_CS_NDRANGE_4", "HLSQ_CS_NDRANGE_4", f::kGlobalOff, k6},
    {0xB995, "SP_CS_NDRANGE_5", "HLSQ_CS_NDRANGE_5", f::kGlobalSize, k6},
    {0xB996, "SP_CS_NDRANGE_6", "HLSQ_CS_NDRANGE_6", f::kGlobalOff, k6},
    {SP_CS_CONST_CONFIG_0, "SP_CS_CONST_CONFIG_0", "HLSQ_CS_CNTL_0", f::SP_CS_CONST_CONFIG_0,
     k6},
    {SP_CS_WGE_CNTL, "SP_CS_WGE_CNTL", "HLSQ_CS_CNTL_1", f::SP_CS_WGE_CNTL, k6},
    {0xB999, "SP_CS_KERNEL_GROUP_X", "HLSQ_CS_KERNEL_GROUP_X", f::kGroupCount, k6},
    {0xB99A, "SP_CS_KERNEL_GROUP_Y", "HLSQ_CS_KERNEL_GROUP_Y", f::kGroupCount, k6},
    {0xB99B, "SP_CS_KERNEL_GROUP_Z", "HLSQ_CS_KERNEL_GROUP_Z", f::kGroupCount, k6},
    {HLSQ_CS_CTRL_REG1, "HLSQ_CS_CTRL_REG1", "HLSQ_CS_UNKNOWN_B9D0", f::SP_CS_CNTL_1, k6},
    {SP_UPDATE_CNTL, "SP_UPDATE_CNTL", "HLSQ_INVALIDATE_CMD", f::SP_UPDATE_CNTL, k6},
    // a7xx moves (§5). Field layouts of the moved registers are taken as unchanged except where
    // the sheet says otherwise (WGE_CNTL gains fields: printed raw here).
    {0xA9C5, "SP_CS_VGS_CNTL", "", f::kFullDword, k7},
    {0xA9C6, "SP_PS_WAVE_CNTL", "", f::kFullDword, k7},
    {0xA9C8, "SP_REG_PROG_ID_0", "", f::kFullDword, k7},
    {0xA9C9, "SP_REG_PROG_ID_1", "", f::kFullDword, k7},
    {0xA9CA, "SP_REG_PROG_ID_2", "", f::kFullDword, k7},
    {0xA9CB, "SP_REG_PROG_ID_3", "", f::kFullDword, k7},
    {a7xx::SP_CS_CONST_CONFIG, "SP_CS_CONST_CONFIG", "", f::SP_CS_CONST_CONFIG, k7},
    {0xA9D4, "SP_CS_NDRANGE_0", "", f::SP_CS_NDRANGE_0, k7},
    {0xA9D5, "SP_CS_NDRANGE_1", "", f::kGlobalSize, k7},
    {0xA9D6, "SP_CS_NDRANGE_2", "", f::kGlobalOff, k7},
    {0xA9D7, "SP_CS_NDRANGE_3", "", f::kGlobalSize, k7},
    {0xA9D8, "SP_CS_NDRANGE_4", "", f::kGlobalOff, k7},
    {0xA9D9, "SP_CS_NDRANGE_5", "", f::kGlobalSize, k7},
    {0xA9DA, "SP_CS_NDRANGE_6", "", f::kGlobalOff, k7},
    {a7xx::SP_CS_WGE_CNTL, "SP_CS_WGE_CNTL", "", f::kFullDword, k7},
    {0xA9DC, "SP_CS_KERNEL_GROUP_X", "", f::kGroupCount, k7},
    {0xA9DD, "SP_CS_KERNEL_GROUP_Y", "", f::kGroupCount, k7},
    {0xA9DE, "SP_CS_KERNEL_GROUP_Z", "", f::kGroupCount, k7},
    {a7xx::SP_CS_NDRANGE_7, "SP_CS_NDRANGE_7", "", f::SP_CS_NDRANGE_0, k7},
    {a7xx::SP_UPDATE_CNTL, "SP_UPDATE_CNTL", "", f::SP_UPDATE_CNTL, k7},
};

// One register value built from its rows; records the first misfit in `err`.
struct RegValue {
  const char* reg;
  std::span<const core::BitField> rows;
  std::array<uint32_t, 1> w{};
  core::FieldWriter fw;
  RegValue(const char* name, std::span<const core::BitField> r)
      : reg(name), rows(r), fw(w, "Adreno a6xx", name) {}
  RegValue& set(const char* field, uint64_t v) {
    for (const core::BitField& f : rows) {
      if (std::string_view(f.name) == field) {
        fw.set(f, v);
        return *this;
      }
    }
    fw.invalid(field, v, "no such field (internal)");
    return *this;
  }
};

class Emitter {
 public:
  explicit Emitter(std::span<uint32_t> out) : w_(out) {}
  bool ok() const { return w_.ok() && err_.ok(); }
  core::EncodeResult result() const {
    if (!err_.ok()) return err_;
    return w_.result();
  }
  void fail(const core::EncodeResult& r) {
    if (err_.ok() && w_.ok()) err_ = r;
  }
  void invalid(const char* field, uint64_t v, const char* why) {
    core::FieldWriter fw({}, "Adreno a6xx", "dispatch");
    fw.invalid(field, v, why);
    fail(fw.result(0));
  }
  uint32_t take(RegValue& r) {
    if (!r.fw.ok()) fail(r.fw.result(0));
    return r.w[0];
  }
  void regs(uint32_t reg, std::span<const uint32_t> v) {
    if (ok()) w_.pkt4(reg, v);
  }
  void regs(uint32_t reg, std::initializer_list<uint32_t> v) {
    regs(reg, std::span<const uint32_t>(v.begin(), v.size()));
  }
  template <class P>
  void pkt(const P& p) {
    if (ok()) w_.pkt7(p);
  }

 private:
  Pm4Writer w_;
  core::EncodeResult err_{};
};

uint32_t lo32(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t hi32(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

}  // namespace

const RegisterInfo* find_register(uint32_t offset, AdrenoGen gen) {
  for (const RegisterInfo& r : kRegisters) {
    if (r.offset == offset && (r.gens & gen_bit(gen)) != 0) return &r;
  }
  return nullptr;
}

std::span<const RegisterInfo> register_table() { return kRegisters; }

std::optional<ChipInfo> chip_from_id(uint32_t chip_id) {
  const uint32_t cmm = chip_id >> 8;  // core, major, minor
  switch (cmm) {
    case 0x060300: return kA630;
    case 0x060305: {  // A635/A643: a6xx gen4 with LPAC (fact sheet §5); other params not given
      ChipInfo c = kA660;
      c.name = "A635/A643";
      c.chip_id = chip_id;
      c.num_sp = 0;
      c.fibers_per_sp = 0;
      return c;
    }
    case 0x060400: return kA640;
    case 0x060500: return kA650;
    case 0x060600: return kA660;
    case 0x070300: return kA730;
    default: break;
  }
  return std::nullopt;
}

uint32_t dispatch_dwords(const DispatchParams& p, const ChipInfo& chip) {
  uint32_t n = 2;                // CP_SET_MARKER
  n += 2 * 2 + 2 * 2 + 2;        // SP_UPDATE_CNTL x2, TSIZE, USIZE, SP_MODE_CNTL
  n += 2 * 3 + 1;                // PERFCTR, TPL1_MODE, DBG_ECO, CP_WAIT_FOR_IDLE
  n += 13;                       // NDRANGE block
  if (chip.has_lpac) n += 3 + 2; // WIE_CNTL_0/1, HLSQ_CS_CTRL_REG1
  n += 11;                       // SP_CS_CNTL_0 block
  n += 4 + 4;                    // two CP_LOAD_STATE6
  n += 6 + 2 + 2;                // PROG_ID + CONST_CONFIG, STACK_OFFSET, INSTR_SIZE
  if (p.sampler_count != 0) n += 4 + 3 + 3;
  if (p.tex_count != 0) n += 4 + 3;
  if (p.uav_count != 0) n += 4 + 3;
  n += 2;                                          // SP_CS_CONFIG
  n += p.launch == Launch::kExecCs ? 5 : 2;       // launch
  if (p.flush_ts_iova != 0) n += 5;
  return n;
}

core::EncodeResult encode_dispatch(std::span<uint32_t> out, const DispatchParams& p,
                                   const ChipInfo& chip) {
  Emitter e(out);
  if (chip.gen != AdrenoGen::kA6xx) {
    core::FieldWriter fw({}, "Adreno a6xx", "dispatch");
    fw.absent("chip", chip.chip_id,
              "a7xx compute dispatch is not supported: most CS registers moved and the only "
              "working sequence comes from an unconfirmed third-party port (fact sheet §5)");
    return fw.result(0);
  }
  // Rules the fields cannot express.
  if ((p.shader_iova & 127) != 0) e.invalid("shader_iova", p.shader_iova, "SP_CS_BASE must be 128-byte aligned");
  if (p.instrlen == 0) e.invalid("instrlen", 0, "a shader has at least one 128-byte unit");
  for (int i = 0; i < 3; ++i) {
    if (p.local_size[i] == 0 || p.local_size[i] > 1024) {
      e.invalid("local_size", p.local_size[i], "each local size is 1..1024 (10-bit fields)");
    }
    if (p.groups[i] == 0) e.invalid("groups", 0, "every axis needs at least one work-group");
    if (uint64_t{p.groups[i]} * p.local_size[i] > 0xFFFFFFFFull) {
      e.invalid("groups", p.groups[i], "groups * local_size must fit 32 bits (SP_CS_NDRANGE)");
    }
  }
  const uint64_t threads = uint64_t{p.local_size[0]} * p.local_size[1] * p.local_size[2];
  if (threads > max_threads(p.full_regs, p.half_regs, chip)) {
    e.invalid("local_size", threads, "the work-group is larger than the register footprint allows");
  }
  if (p.tex_count > 16) e.invalid("tex_count", p.tex_count, "at most 16 textures (tinygrad's limit)");
  if ((p.consts_iova & 3) != 0 || (p.uav_iova & 3) != 0 || (p.tex_iova & 3) != 0 ||
      (p.sampler_iova & 3) != 0) {
    e.invalid("descriptor address", p.consts_iova | p.uav_iova | p.tex_iova | p.sampler_iova,
              "CP_LOAD_STATE6 sources must be 4-byte aligned");
  }
  if (p.pvt_mem_per_item != 0 && chip.fibers_per_sp == 0) {
    e.invalid("pvt_mem_per_item", p.pvt_mem_per_item,
              "private memory needs the chip's fibers_per_sp, which the fact sheet does not give");
  }
  if (!e.ok()) return e.result();

  const bool cl = p.isa == IsaMode::kVendorCl;
  // 1. Compute mode marker.
  e.pkt(CpSetMarker{.mode = RM6_COMPUTE});
  // 2. Invalidate cached CS state (CS_STATE | CS_UAV), then clear.
  {
    RegValue v("SP_UPDATE_CNTL", f::SP_UPDATE_CNTL);
    v.set("cs_state", 1).set("cs_uav", 1);
    e.regs(SP_UPDATE_CNTL, {e.take(v)});
    e.regs(SP_UPDATE_CNTL, {0u});
  }
  // 3. Texture / UAV counts (raw, blob-derived).
  e.regs(SP_CS_TSIZE, {p.tsize});
  e.regs(SP_CS_USIZE, {p.usize});
  // 4–5. ISA mode, perf counter mask, TPL1 mode, TPL1 debug, wait for idle.
  {
    RegValue m("SP_MODE_CNTL", f::SP_MODE_CNTL);
    if (cl) {
      m.set("isammode", 1);
    } else {
      m.set("isammode", 2).set("constant_demotion_enable", 1);
    }
    e.regs(SP_MODE_CNTL, {e.take(m)});
    RegValue pc("SP_PERFCTR_SHADER_MASK", f::SP_PERFCTR_SHADER_MASK);
    pc.set("cs", 1);
    e.regs(SP_PERFCTR_SHADER_MASK, {e.take(pc)});
    RegValue t("TPL1_MODE_CNTL", f::TPL1_MODE_CNTL);
    t.set("isammode", cl ? 1 : 2);
    e.regs(TPL1_MODE_CNTL, {e.take(t)});
    e.regs(TPL1_DBG_ECO_CNTL, {0u});
    e.pkt(CpWaitForIdle{});
  }
  // 6. NDRANGE_0..6, CONST_CONFIG_0, WGE_CNTL, KERNEL_GROUP_X/Y/Z.
  uint32_t cc0 = 0, wge = 0;
  {
    RegValue nd("SP_CS_NDRANGE_0", f::SP_CS_NDRANGE_0);
    nd.set("kerneldim", 3)
        .set("localsizex", p.local_size[0])
        .set("localsizey", p.local_size[1])
        .set("localsizez", p.local_size[2]);
    RegValue c0("SP_CS_CONST_CONFIG_0", f::SP_CS_CONST_CONFIG_0);
    c0.set("wgidconstid", p.wgid_const)
        .set("wgsizeconstid", p.wgsize_const)
        .set("wgoffsetconstid", p.wgoffset_const)
        .set("localidregid", p.localid_reg);
    RegValue wg("SP_CS_WGE_CNTL", f::SP_CS_WGE_CNTL);
    wg.set("linearlocalidregid", p.linear_localid_reg).set("threadsize", p.thread128 ? 1 : 0);
    cc0 = e.take(c0);
    wge = e.take(wg);
    const uint32_t v[12] = {e.take(nd),
                            p.groups[0] * p.local_size[0],
                            p.global_offset[0],
                            p.groups[1] * p.local_size[1],
                            p.global_offset[1],
                            p.groups[2] * p.local_size[2],
                            p.global_offset[2],
                            cc0,
                            wge,
                            p.groups[0],
                            p.groups[1],
                            p.groups[2]};
    e.regs(SP_CS_NDRANGE_0, v);
  }
  // a6xx gen4 (LPAC): Mesa also writes the WIE copies (fact sheet §3.5).
  if (chip.has_lpac) e.regs(SP_CS_WIE_CNTL_0, {cc0, wge});
  // 7. SP_CS_CNTL_0 .. SP_CS_PVT_MEM_SIZE.
  uint32_t cntl1 = 0;
  {
    RegValue c("SP_CS_CNTL_0", f::SP_CS_CNTL_0);
    c.set("threadsize", p.thread128 ? 1 : 0)
        .set("halfregfootprint", p.half_regs)
        .set("fullregfootprint", p.full_regs)
        .set("branchstack", p.branchstack);
    RegValue c1("SP_CS_CNTL_1", f::SP_CS_CNTL_1);
    c1.set("shared_size", shared_size_field(p.shared_bytes)).set("constantrammode", p.constantrammode);
    cntl1 = e.take(c1);
    RegValue pp("SP_CS_PVT_MEM_PARAM", f::SP_CS_PVT_MEM_PARAM);
    pp.set("memsizeperitem", round_up(p.pvt_mem_per_item, 512));
    RegValue ps("SP_CS_PVT_MEM_SIZE", f::SP_CS_PVT_MEM_SIZE);
    ps.set("totalpvtmemsize", p.pvt_mem_per_item == 0 ? 0 : pvt_mem_per_sp(p.pvt_mem_per_item, chip));
    const uint32_t v[10] = {e.take(c),
                            cntl1,
                            0,
                            p.prg_offset,
                            lo32(p.shader_iova),
                            hi32(p.shader_iova),
                            e.take(pp),
                            lo32(p.pvt_mem_iova),
                            hi32(p.pvt_mem_iova),
                            e.take(ps)};
    e.regs(SP_CS_CNTL_0, v);
  }
  if (chip.has_lpac) e.regs(HLSQ_CS_CTRL_REG1, {cntl1});
  // 9. Constants, 10. shader (both INDIRECT into SB6_CS_SHADER).
  e.pkt(CpLoadState6Frag{.state_type = StateType::ST6_CONSTANTS,
                         .state_src = StateSrc::SS6_INDIRECT,
                         .state_block = StateBlock::SB6_CS_SHADER,
                         .num_unit = p.const_units,
                         .ext_src_addr = p.consts_iova});
  e.pkt(CpLoadState6Frag{.state_type = StateType::ST6_SHADER,
                         .state_src = StateSrc::SS6_INDIRECT,
                         .state_block = StateBlock::SB6_CS_SHADER,
                         .num_unit = p.instrlen,
                         .ext_src_addr = p.shader_iova});
  // 11. Fragment sysval regids unused (0xFC), CONST_CONFIG.
  {
    RegValue cc("SP_CS_CONST_CONFIG", f::SP_CS_CONST_CONFIG);
    cc.set("constlen", p.constlen_vec4).set("enabled", 1);
    e.regs(SP_REG_PROG_ID_0, {0xFCFCFCFCu, 0xFCFCFCFCu, 0xFCFCFCFCu, 0xFCu, e.take(cc)});
  }
  // 12. Stack offset, instruction length.
  {
    RegValue so("SP_CS_PVT_MEM_STACK_OFFSET", f::SP_CS_PVT_MEM_STACK_OFFSET);
    so.set("value", p.hw_stack_offset);
    e.regs(SP_CS_PVT_MEM_STACK_OFFSET, {e.take(so)});
    e.regs(SP_CS_INSTR_SIZE, {p.instrlen});
  }
  // 13. Samplers (+ border colours), 14. textures, 15. UAVs.
  if (p.sampler_count != 0) {
    e.pkt(CpLoadState6Frag{.state_type = StateType::ST6_SHADER,
                           .state_src = StateSrc::SS6_INDIRECT,
                           .state_block = StateBlock::SB6_CS_TEX,
                           .num_unit = p.sampler_count,
                           .ext_src_addr = p.sampler_iova});
    e.regs(SP_CS_SAMPLER_BASE, {lo32(p.sampler_iova), hi32(p.sampler_iova)});
    e.regs(TPL1_CS_BORDER_COLOR_BASE, {lo32(p.border_color_iova), hi32(p.border_color_iova)});
  }
  if (p.tex_count != 0) {
    e.pkt(CpLoadState6Frag{.state_type = StateType::ST6_CONSTANTS,
                           .state_src = StateSrc::SS6_INDIRECT,
                           .state_block = StateBlock::SB6_CS_TEX,
                           .num_unit = p.tex_count,
                           .ext_src_addr = p.tex_iova});
    e.regs(SP_CS_TEXMEMOBJ_BASE, {lo32(p.tex_iova), hi32(p.tex_iova)});
  }
  if (p.uav_count != 0) {
    e.pkt(CpLoadState6Frag{.state_type = StateType::ST6_UAV,
                           .state_src = StateSrc::SS6_INDIRECT,
                           .state_block = StateBlock::SB6_CS_SHADER,
                           .num_unit = p.uav_count,
                           .ext_src_addr = p.uav_iova});
    e.regs(SP_CS_UAV_BASE, {lo32(p.uav_iova), hi32(p.uav_iova)});
  }
  // 16. SP_CS_CONFIG.
  {
    RegValue c("SP_CS_CONFIG", f::SP_CS_CONFIG);
    c.set("enabled", 1).set("ntex", p.tex_count).set("nsamp", p.sampler_count).set("nuav", p.uav_count);
    e.regs(SP_CS_CONFIG, {e.take(c)});
  }
  // 17. Launch.
  if (p.launch == Launch::kExecCs) {
    e.pkt(CpExecCs{.ngroups_x = p.groups[0], .ngroups_y = p.groups[1], .ngroups_z = p.groups[2]});
  } else {
    e.pkt(CpRunOpencl{});
  }
  // 18. Write-back.
  if (p.flush_ts_iova != 0) {
    e.pkt(CpEventWrite{.event = Event::CACHE_FLUSH_TS, .addr = p.flush_ts_iova, .value = 0});
  }
  core::EncodeResult r = e.result();
  if (!r.ok()) r.dwords = 0;
  return r;
}

}  // namespace rawgpu::qcom::a6xx

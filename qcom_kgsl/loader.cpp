#include "qcom_kgsl/loader.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <optional>

namespace rawgpu::qcom {

namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

struct Section {
  uint32_t id, offset, size, count, entry_size;
};

class Reader {
 public:
  Reader(std::span<const uint8_t> f, uint32_t base) : f_(f), base_(base) {}
  core::Error err(const std::string& what) const {
    return core::Error::invalid("parse Adreno library at " + hex(base_), what);
  }
  bool has(uint64_t at, uint64_t n) const { return at <= f_.size() && n <= f_.size() - at; }
  uint32_t u32(uint64_t at) const {
    uint32_t v;
    std::memcpy(&v, f_.data() + at, 4);
    return v;
  }
  std::span<const uint8_t> file() const { return f_; }
  uint32_t base() const { return base_; }

 private:
  std::span<const uint8_t> f_;
  uint32_t base_;
};

constexpr const char* section_name(uint32_t id) {
  switch (id) {
    case kSecProgram: return "PROGRAM";
    case kSecConsts: return "CONSTS";
    case kSecImage: return "IMAGE";
    case kSecCode: return "CODE";
    case kSecImageDesc: return "IMAGE_DESC";
    default: return "?";
  }
}

bool ident_char(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Parses one library starting at `base`; returns the next library's offset (0 = none) via `next`.
core::Result<QcomKernel> parse_one(std::span<const uint8_t> file, uint32_t base, uint32_t& next) {
  Reader r(file, base);
  next = 0;
  const uint64_t lib_size = file.size() - base;
  if (lib_size < kLibHeaderSize) {
    return r.err("the file has " + std::to_string(lib_size) + " bytes, less than the 48-byte header");
  }
  const uint32_t nsec = r.u32(base + kLibNumSectionsAt);
  if (nsec == 0 || nsec > 64) return r.err("num_sections " + std::to_string(nsec) + " (expected 12 or so)");
  if (!r.has(uint64_t{base} + kLibSectionTableAt, uint64_t{nsec} * kLibSectionEntrySize)) {
    return r.err("the section table (" + std::to_string(nsec) + " entries of 20 bytes at 0x30) runs past the end of the file");
  }
  std::optional<Section> sec[12];
  for (uint32_t i = 0; i < nsec; ++i) {
    const uint64_t e = uint64_t{base} + kLibSectionTableAt + uint64_t{i} * kLibSectionEntrySize;
    Section s{r.u32(e), r.u32(e + 4), r.u32(e + 8), r.u32(e + 12), r.u32(e + 16)};
    if (s.id < 12 && !sec[s.id]) sec[s.id] = s;
  }
  for (uint32_t id : {kSecProgram, kSecConsts, kSecImage, kSecCode, kSecImageDesc}) {
    if (!sec[id]) return r.err(std::string("section ") + std::to_string(id) + " (" + section_name(id) + ") is missing");
  }
  auto in_file = [&](const Section& s, uint64_t need, const char* what) -> std::optional<core::Error> {
    const uint64_t at = uint64_t{base} + s.offset;
    if (!r.has(at, need)) {
      return r.err(std::string("section ") + std::to_string(s.id) + " (" + section_name(s.id) + ") " + what +
                   " [" + hex(s.offset) + ", +" + std::to_string(need) + ") lies outside the file (" +
                   std::to_string(lib_size) + " bytes from the library start)");
    }
    return std::nullopt;
  };
  QcomKernel k;
  k.library_offset = base;
  // Register descriptor.
  if (auto e = in_file(*sec[kSecProgram], kRegDescHregs + 4, "register descriptor")) return *e;
  k.fregs = r.u32(uint64_t{base} + sec[kSecProgram]->offset + kRegDescFregs);
  k.hregs = r.u32(uint64_t{base} + sec[kSecProgram]->offset + kRegDescHregs);
  // Image: offset from IMAGE, size from CODE (as tinygrad reads them).
  const uint32_t code_size = sec[kSecCode]->size;
  if (code_size == 0) return r.err("section 10 (CODE) has size 0: no machine code");
  if (auto e = in_file(*sec[kSecImage], code_size, "machine code")) return *e;
  k.code_offset = base + sec[kSecImage]->offset;
  k.code.assign(file.begin() + k.code_offset, file.begin() + k.code_offset + code_size);
  k.instrlen = (code_size + kInstrUnitBytes - 1) / kInstrUnitBytes;
  // Image descriptor.
  const Section& d = *sec[kSecImageDesc];
  if (auto e = in_file(d, kDescName + 1, "image descriptor")) return *e;
  const uint64_t desc = uint64_t{base} + d.offset;
  k.prg_offset = r.u32(desc + kDescPrgOffset);
  k.pvtmem = r.u32(desc + kDescPvtmem);
  k.shmem = r.u32(desc + kDescShmem);
  k.samplers = r.u32(desc + kDescSampCnt);
  const uint32_t brn = r.u32(desc + kDescBrnchstck);
  k.branchstack = brn / 2;
  if (k.prg_offset >= code_size) {
    return r.err("prg_offset " + hex(k.prg_offset) + " is not inside the " + std::to_string(code_size) + "-byte image");
  }
  if (k.samplers > 16) return r.err("samp_cnt " + std::to_string(k.samplers) + " (at most 16 samplers)");
  // Kernel name: an identifier at +0x158 (ends at the first non-identifier byte: a NUL, or the
  // first argument record when the name's length is a multiple of 4).
  uint64_t n = 0;
  while (desc + kDescName + n < file.size() && ident_char(file[desc + kDescName + n]) && n < 1024) ++n;
  if (n == 0) return r.err("the kernel name at descriptor +0x158 is empty or not an identifier");
  if (desc + kDescName + n >= file.size()) return r.err("the kernel name at descriptor +0x158 runs to the end of the file");
  k.name.assign(reinterpret_cast<const char*>(file.data() + desc + kDescName), n);
  // Argument records.
  uint64_t at = (desc + kDescName + n + 3) / 4 * 4 + 8ull * k.samplers;
  for (uint32_t i = 0;; ++i) {
    if (!r.has(at, 4)) return r.err("argument record " + std::to_string(i) + " at " + hex(at) + " lies past the end of the file (no terminating 0 length)");
    const uint32_t len = r.u32(at);
    if (len == 0) break;
    if (len < kArgRecordMin || len % 4 != 0) {
      return r.err("argument record " + std::to_string(i) + " at " + hex(at) + " has length " + std::to_string(len) + " (expected a multiple of 4, >= 32)");
    }
    if (!r.has(at, len)) return r.err("argument record " + std::to_string(i) + " at " + hex(at) + " (length " + std::to_string(len) + ") runs past the end of the file");
    if (i >= 256) return r.err("more than 256 argument records");
    const uint32_t off_words = r.u32(at + 12), type = r.u32(at + 28);
    QcomArg a;
    a.offset = off_words * 4;
    if (type == kArgTypeBuffer) {
      a.kind = ArgKind::kBufferOrValue;
      if (uint64_t{off_words} * 4 + 4 > kConstFileBytes) {
        return r.err("argument record " + std::to_string(i) + ": offset " + std::to_string(off_words) + " dwords lies outside the 2048-byte constant file");
      }
    } else if (type == kArgTypeTexture) {
      a.kind = ArgKind::kTexture;
      ++k.textures;
    } else if (type == kArgTypeIbo) {
      a.kind = ArgKind::kImage;
      ++k.ibos;
    } else {
      return r.err("argument record " + std::to_string(i) + " at " + hex(at) + " has type " + std::to_string(type) + " (0 buffer/scalar, 1 texture, 2 image)");
    }
    k.args.push_back(a);
    at += len;
  }
  // Constants.
  const Section& c = *sec[kSecConsts];
  if (c.size != 0) {
    if (c.size % kConstRecordSize != 0) return r.err("section 6 (CONSTS) size " + std::to_string(c.size) + " is not a multiple of the 40-byte record");
    if (auto e = in_file(c, c.size, "constant records")) return *e;
    for (uint32_t o = 0; o < c.size; o += kConstRecordSize) {
      const uint64_t rec = uint64_t{base} + c.offset + o;
      const uint32_t is32 = r.u32(rec + 24);
      if (is32 > 1) return r.err("constant record at " + hex(rec) + " has is32 " + std::to_string(is32) + " (0 or 1)");
      QcomConst q;
      q.value = r.u32(rec);
      q.size = 2u << is32;
      const uint64_t pos = uint64_t{r.u32(rec + 16)} * q.size;
      if (pos + q.size > kConstFileBytes) return r.err("constant record at " + hex(rec) + " lands at byte " + std::to_string(pos) + ", outside the 2048-byte constant file");
      q.offset = static_cast<uint32_t>(pos);
      k.consts.push_back(q);
    }
  }
  // Simulator stub.
  if (k.code.size() >= sizeof(kSimQcomEntryMagic) &&
      std::memcmp(k.code.data(), kSimQcomEntryMagic, sizeof kSimQcomEntryMagic) == 0) {
    if (k.code.size() < sizeof(SimQcomEntryStub) + sizeof(SimQcomBlobHeader)) {
      return r.err("simulated kernel '" + k.name + "': the image is too small for its stub and blob header");
    }
    SimQcomEntryStub s;
    std::memcpy(&s, k.code.data(), sizeof s);
    if (s.symbol[sizeof s.symbol - 1] != '\0' || s.symbol[0] == '\0') return r.err("simulated kernel '" + k.name + "': the stub's symbol is empty or not NUL-terminated");
    if (s.num_args > kSimQcomMaxArgs || s.num_args != k.args.size()) {
      return r.err("simulated kernel '" + k.name + "': the stub lists " + std::to_string(s.num_args) + " arguments, the descriptor " + std::to_string(k.args.size()));
    }
    if (uint64_t{s.blob_offset} + sizeof(SimQcomBlobHeader) > k.code.size()) return r.err("simulated kernel '" + k.name + "': blob_offset " + hex(s.blob_offset) + " lies outside the image");
    SimQcomBlobHeader b;
    std::memcpy(&b, k.code.data() + s.blob_offset, sizeof b);
    if (std::memcmp(b.magic, kSimQcomBlobMagic, sizeof b.magic) != 0) return r.err("simulated kernel '" + k.name + "': no blob header at blob_offset");
    if (uint64_t{s.blob_offset} + sizeof b + b.so_size > k.code.size()) return r.err("simulated kernel '" + k.name + "': the host object (" + std::to_string(b.so_size) + " bytes) runs past the image");
    for (uint32_t i = 0; i < s.num_args; ++i) {
      if (s.arg_kinds[i] > 1) return r.err("simulated kernel '" + k.name + "': argument " + std::to_string(i) + " kind " + std::to_string(s.arg_kinds[i]));
      k.args[i].kind = s.arg_kinds[i] == 0 ? ArgKind::kBuffer : ArgKind::kValue;
      k.args[i].size = s.arg_sizes[i];
    }
    k.simulated = true;
    k.sim_symbol = s.symbol;
    k.sim_chip_id = s.chip_id;
    k.sim_param_size = s.param_size;
    if (s.next_library != 0) {
      if (s.next_library % 4 != 0 || uint64_t{base} + s.next_library >= file.size()) {
        return r.err("simulated kernel '" + k.name + "': next_library " + hex(s.next_library) + " lies outside the file");
      }
      next = base + s.next_library;
    }
  }
  return k;
}

}  // namespace

const char* arg_kind_name(ArgKind k) {
  switch (k) {
    case ArgKind::kBufferOrValue: return "buffer_or_value";
    case ArgKind::kBuffer: return "buffer";
    case ArgKind::kValue: return "value";
    case ArgKind::kTexture: return "texture";
    case ArgKind::kImage: return "image";
  }
  return "?";
}

const QcomKernel* QcomProgram::find(std::string_view name) const {
  for (const QcomKernel& k : kernels) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

core::Result<QcomProgram> parse_qcom_program(std::span<const uint8_t> file) {
  QcomProgram p;
  uint32_t base = 0;
  for (int i = 0; i < 4096; ++i) {
    uint32_t next = 0;
    core::Result<QcomKernel> k = parse_one(file, base, next);
    if (!k) return std::move(k).error();
    if (p.find(k->name) != nullptr) {
      return core::Error::invalid("parse Adreno library at " + hex(base), "kernel '" + k->name + "' appears twice");
    }
    if (i > 0 && !k->simulated) {
      return core::Error::invalid("parse Adreno library at " + hex(base), "a chained library must be simulated too");
    }
    p.simulated = p.simulated || k->simulated;
    p.kernels.push_back(std::move(*k));
    if (next == 0) return p;
    if (next <= base) return core::Error::invalid("parse Adreno library at " + hex(base), "next_library points backwards");
    base = next;
  }
  return core::Error::invalid("parse Adreno library", "more than 4096 chained libraries");
}

}  // namespace rawgpu::qcom

// rawgpu — the trace decoder (tools/trace/decode.h). Every name and field layout comes from the
// backends' one description of each ABI (kfd/describe.*, nv_ioctl/describe.*, qcom_kgsl/describe.*)
// and packet format (*/packets.*); this file only walks records and keeps the state a trace
// implies (fd -> driver, KFD queue types, NV channel classes).
//
// SUBMISSION payloads (what the decoder assumes; docs/trace-format.md leaves the layout to the
// writer):
//   - KFD: the dwords written to the queue's ring, decoded with the queue's type from the
//     CREATE_QUEUE whose returned queue_id equals `queue` (COMPUTE: PM4, SDMA*: SDMA,
//     COMPUTE_AQL: 64-byte AQL packets). An unknown queue is read as PM4. The GPU generation is
//     not in the trace: DecodeOptions::amd_gfx (gfx11 by default).
//   - NVIDIA: either GPFIFO ring entries (u64 each) or pushbuffer dwords. A payload whose address
//     is the target of a GPFIFO entry seen earlier is a pushbuffer; one whose address was sent by
//     SEND_PCAS_A is a QMD; otherwise a payload whose length is a multiple of 8 and whose every
//     u64 is a valid GPFIFO entry (nv::decode_gpfifo_entry) is ring entries, and anything else is
//     a pushbuffer. Subchannel bindings (SET_OBJECT) persist per channel across submissions.
//   - KGSL: Adreno PM4 dwords (an IB or a ring segment), a6xx opcodes unless
//     DecodeOptions::adreno says 7.
// Anything that does not decode is printed as hex and counted as unknown; nothing stops the walk
// of the trace.
#include "tools/trace/decode.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <ostream>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/ioctl_desc.h"
#include "kfd/abi.h"
#include "kfd/describe.h"
#include "kfd/packets.h"
#include "nv_ioctl/abi.h"
#include "nv_ioctl/classes.h"
#include "nv_ioctl/describe.h"
#include "nv_ioctl/packets.h"
#include "nv_ioctl/status.h"
#include "qcom_kgsl/describe.h"
#include "qcom_kgsl/packets.h"

namespace rawgpu::trace {
namespace {

using core::NamedValue;

// How many argument/buffer bytes a hex line shows before "…".
constexpr size_t kHexPreview = 64;
// Bound on remembered NV addresses (GPFIFO targets, QMDs) so a hostile trace cannot grow them.
constexpr size_t kMaxRemembered = 1u << 14;
// Tags of the buffers that RM params point to: 0x100 + the command's/class's own BufferRef tag
// (nv_ioctl/describe.cpp, tools/sniff).
constexpr uint32_t kSubBufferTagBase = 0x100;
// Elements of a nested buffer printed field by field; the rest is counted.
constexpr uint64_t kMaxElements = 64;

std::string hexf(const char* fmt, uint64_t v) {
  char b[40];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}
std::string hex(uint64_t v) { return hexf("0x%" PRIx64, v); }

// "00 01 02 … (+N bytes)"
std::string hex_bytes(std::span<const uint8_t> b, size_t max = kHexPreview) {
  std::string out;
  const size_t n = std::min(b.size(), max);
  out.reserve(n * 3 + 24);
  char t[4];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(t, sizeof t, "%02x", b[i]);
    if (i) out += ' ';
    out += t;
  }
  if (b.size() > n) out += " … (+" + std::to_string(b.size() - n) + " bytes)";
  return out;
}

// Little-endian dwords of a byte span (copied: trace payloads have no alignment).
std::vector<uint32_t> to_words(std::span<const uint8_t> b) {
  std::vector<uint32_t> w(b.size() / 4);
  if (!w.empty()) std::memcpy(w.data(), b.data(), w.size() * 4);
  return w;
}

template <class T>
bool load(std::span<const uint8_t> b, T& out) {
  if (b.size() < sizeof(T)) return false;
  std::memcpy(&out, b.data(), sizeof(T));
  return true;
}

// ---- symbolic names of libc constants (Linux UAPI values) ----------------------------------

// include/uapi/asm-generic/mman-common.h
constexpr NamedValue kProtNames[] = {
    {PROT_READ, "PROT_READ"}, {PROT_WRITE, "PROT_WRITE"}, {PROT_EXEC, "PROT_EXEC"}};
constexpr NamedValue kMapNames[] = {
    {MAP_SHARED, "MAP_SHARED"},       {MAP_PRIVATE, "MAP_PRIVATE"},
    {0x03, "MAP_SHARED_VALIDATE"},    {MAP_FIXED, "MAP_FIXED"},
    {MAP_ANONYMOUS, "MAP_ANONYMOUS"}, {MAP_NORESERVE, "MAP_NORESERVE"},
    {MAP_POPULATE, "MAP_POPULATE"},   {MAP_LOCKED, "MAP_LOCKED"},
    {0x100000, "MAP_FIXED_NOREPLACE"}};
// include/uapi/asm-generic/fcntl.h (x86-64 and arm64 agree on these)
constexpr NamedValue kOpenFlagNames[] = {
    {O_CREAT, "O_CREAT"},       {O_EXCL, "O_EXCL"},         {O_NOCTTY, "O_NOCTTY"},
    {O_TRUNC, "O_TRUNC"},       {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"},
    {O_DSYNC, "O_DSYNC"},       {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"},
    {O_CLOEXEC, "O_CLOEXEC"}};

std::string flags_text(uint64_t v, std::span<const NamedValue> names, std::string_view prefix) {
  std::string out;
  if (v == 0) return "0";
  core::append_flags(out, v, names, prefix);
  return out;
}

std::string open_flags_text(uint32_t flags) {
  const uint32_t acc = flags & O_ACCMODE;
  std::string out = acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY"
                                               : acc == O_RDWR   ? "O_RDWR"
                                                                 : "O_ACCMODE";
  const uint32_t rest = flags & ~static_cast<uint32_t>(O_ACCMODE) & ~0x8000u;  // O_LARGEFILE
  if (rest) out += "|" + flags_text(rest, kOpenFlagNames, "O_");
  return out;
}

std::string driver_text(uint32_t d) {
  const char* n = driver_kind_name(d);
  return n ? n : "driver " + std::to_string(d);
}

// "0", "-1 EINVAL", "-EBADF" style results.
std::string neg_errno_text(int64_t r) {
  if (r >= 0) return std::to_string(r);
  if (r < -4095) return std::to_string(r);
  return std::to_string(r) + " " + core::errno_name(static_cast<int>(-r));
}

// ---- DRM (render node): generic names only ---------------------------------------------------

// include/uapi/drm/drm.h (core, nr < DRM_COMMAND_BASE 0x40) and amdgpu_drm.h (DRM_AMDGPU_*, nr
// relative to DRM_COMMAND_BASE). Arguments print as hex.
constexpr NamedValue kDrmNames[] = {
    {0x00, "DRM_IOCTL_VERSION"},
    {0x01, "DRM_IOCTL_GET_UNIQUE"},
    {0x02, "DRM_IOCTL_GET_MAGIC"},
    {0x07, "DRM_IOCTL_SET_VERSION"},
    {0x09, "DRM_IOCTL_GEM_CLOSE"},
    {0x0A, "DRM_IOCTL_GEM_FLINK"},
    {0x0B, "DRM_IOCTL_GEM_OPEN"},
    {0x0C, "DRM_IOCTL_GET_CAP"},
    {0x0D, "DRM_IOCTL_SET_CLIENT_CAP"},
    {0x2D, "DRM_IOCTL_PRIME_HANDLE_TO_FD"},
    {0x2E, "DRM_IOCTL_PRIME_FD_TO_HANDLE"},
    {0x40 + 0x00, "DRM_IOCTL_AMDGPU_GEM_CREATE"},
    {0x40 + 0x01, "DRM_IOCTL_AMDGPU_GEM_MMAP"},
    {0x40 + 0x02, "DRM_IOCTL_AMDGPU_CTX"},
    {0x40 + 0x03, "DRM_IOCTL_AMDGPU_BO_LIST"},
    {0x40 + 0x04, "DRM_IOCTL_AMDGPU_CS"},
    {0x40 + 0x05, "DRM_IOCTL_AMDGPU_INFO"},
    {0x40 + 0x06, "DRM_IOCTL_AMDGPU_GEM_METADATA"},
    {0x40 + 0x07, "DRM_IOCTL_AMDGPU_GEM_WAIT_IDLE"},
    {0x40 + 0x08, "DRM_IOCTL_AMDGPU_GEM_VA"},
    {0x40 + 0x09, "DRM_IOCTL_AMDGPU_WAIT_CS"},
    {0x40 + 0x10, "DRM_IOCTL_AMDGPU_GEM_OP"},
    {0x40 + 0x11, "DRM_IOCTL_AMDGPU_GEM_USERPTR"},
    {0x40 + 0x12, "DRM_IOCTL_AMDGPU_WAIT_FENCES"},
    {0x40 + 0x13, "DRM_IOCTL_AMDGPU_VM"},
    {0x40 + 0x14, "DRM_IOCTL_AMDGPU_FENCE_TO_HANDLE"},
    {0x40 + 0x15, "DRM_IOCTL_AMDGPU_SCHED"},
    {0xBF, "DRM_IOCTL_SYNCOBJ_CREATE"},
    {0xC0, "DRM_IOCTL_SYNCOBJ_DESTROY"},
    {0xC1, "DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD"},
    {0xC2, "DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE"},
    {0xC3, "DRM_IOCTL_SYNCOBJ_WAIT"},
    {0xC4, "DRM_IOCTL_SYNCOBJ_RESET"},
    {0xC5, "DRM_IOCTL_SYNCOBJ_SIGNAL"},
    {0xCA, "DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT"},
    {0xCB, "DRM_IOCTL_SYNCOBJ_QUERY"},
    {0xCC, "DRM_IOCTL_SYNCOBJ_TRANSFER"},
    {0xCD, "DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL"},
};
constexpr uint8_t kDrmMagic = 'd';

std::string_view drm_name(unsigned long request) {
  if (core::ioc_magic(request) != kDrmMagic) return {};
  for (const NamedValue& n : kDrmNames)
    if (n.value == core::ioc_nr(request)) return n.name;
  return {};
}

const char* dir_name(core::IoctlDir d) {
  switch (d) {
    case core::IoctlDir::kNone: return "_IO";
    case core::IoctlDir::kWrite: return "_IOW";
    case core::IoctlDir::kRead: return "_IOR";
    case core::IoctlDir::kReadWrite: return "_IOWR";
  }
  return "_IO?";
}

// "0xc0184b02 (_IOWR 'K' nr 0x02 size 24)"
std::string request_text(uint64_t request) {
  std::string out = hex(request);
  if (request >> 32) return out;
  const uint8_t magic = core::ioc_magic(request);
  out += " (";
  out += dir_name(core::ioc_dir(request));
  out += ' ';
  if (magic >= 0x20 && magic < 0x7F) {
    out += '\'';
    out += static_cast<char>(magic);
    out += '\'';
  } else {
    out += hexf("0x%02" PRIx64, magic);
  }
  out += " nr " + hexf("0x%02" PRIx64, core::ioc_nr(request));
  out += " size " + std::to_string(core::ioc_size(request)) + ")";
  return out;
}

// Strips "NAME" from "NAME{...}" (format_args / format_rm_* output) leaving "{...}".
std::string body_of(const std::string& s) {
  const size_t b = s.find('{');
  return b == std::string::npos ? s : s.substr(b);
}

}  // namespace

// ---- state --------------------------------------------------------------------------------------

struct Decoder::State {
  FileHeader header;
  DecodeOptions opt;
  kfd::GfxGen gfx = kfd::GfxGen::kGfx11;
  qcom::AdrenoGen adreno = qcom::AdrenoGen::kA6xx;
  uint32_t nv_branch = 0;                       // from the options or CHECK_VERSION_STR
  std::unordered_map<int32_t, uint32_t> fds;    // fd -> DriverKind
  std::unordered_map<uint64_t, uint32_t> kfd_queues;  // queue_id -> KFD_IOC_QUEUE_TYPE_*
  std::unordered_map<uint32_t, uint32_t> nv_channels;  // channel handle -> host class
  uint32_t nv_last_host_class = 0;
  std::map<uint64_t, nv::ChannelState> nv_state;  // per channel handle (SUBMISSION queue)
  std::set<uint64_t> nv_pb_targets;               // pushbuffer addresses from GPFIFO entries
  std::map<uint64_t, uint64_t> nv_rings;          // GPFIFO ring GPU address -> bytes
  std::map<uint64_t, uint32_t> nv_qmds;           // QMD address (SEND_PCAS_A) -> compute class
  std::vector<uint32_t> nv_inline_qmd;            // LOAD_INLINE_QMD_DATA words being collected
  uint64_t next_index = 0;

  // The record being built.
  DecodedRecord* rec = nullptr;
  uint32_t overflow = 0;

  void detail(std::string line) {
    if (rec->details.size() >= opt.max_detail_lines) {
      ++overflow;
      return;
    }
    rec->details.push_back(std::move(line));
  }
  void hex_detail(std::string_view label, std::span<const uint8_t> b) {
    for (size_t off = 0; off < b.size(); off += 16) {
      if (rec->details.size() >= opt.max_detail_lines) {
        overflow += static_cast<uint32_t>((b.size() - off + 15) / 16);
        return;
      }
      rec->details.push_back(std::string(label) + hexf(" %04" PRIx64 ":", off) + " " +
                             hex_bytes(b.subspan(off, std::min<size_t>(16, b.size() - off))));
    }
  }

  uint32_t driver_of(int32_t fd) const {
    auto it = fds.find(fd);
    return it == fds.end() ? static_cast<uint32_t>(DriverKind::kOther) : it->second;
  }

  void decode_ioctl(const IoctlRecord& r);
  void decode_submission(const SubmissionRecord& r);
  void decode_kfd_stream(std::span<const uint8_t> data, uint64_t queue);
  void decode_nv_stream(const SubmissionRecord& r);
  void decode_nv_pushbuffer(std::span<const uint32_t> pb, uint64_t channel);
  void decode_nv_qmd(std::span<const uint8_t> data, uint32_t compute_class, std::string_view what);
  void decode_adreno_stream(std::span<const uint8_t> data);
  void print_buffers(const core::IoctlDesc* top, const IoctlRecord& r, int64_t skip_tag,
                     const core::IoctlDesc* sub = nullptr, std::span<const uint8_t> sub_bytes = {});
  void remember_qmd(uint64_t addr, uint32_t cls) {
    if (nv_qmds.size() >= kMaxRemembered) nv_qmds.clear();
    nv_qmds[addr] = cls;
  }
};

Decoder::Decoder(const FileHeader& header, DecodeOptions options)
    : s_(std::make_unique<State>()) {
  s_->header = header;
  s_->opt = options;
  if (s_->opt.max_detail_lines == 0) s_->opt.max_detail_lines = 1;
  switch (options.amd_gfx) {
    case 9: s_->gfx = kfd::GfxGen::kGfx9; break;
    case 10: s_->gfx = kfd::GfxGen::kGfx10; break;
    case 12: s_->gfx = kfd::GfxGen::kGfx12; break;
    default: s_->gfx = kfd::GfxGen::kGfx11; break;
  }
  s_->adreno = options.adreno == 7 ? qcom::AdrenoGen::kA7xx : qcom::AdrenoGen::kA6xx;
  s_->nv_branch = options.nv_branch;
}

Decoder::~Decoder() = default;

// ---- IOCTL --------------------------------------------------------------------------------------

namespace {

// Which table a request belongs to, from the fd's driver or (fd unknown) the request's magic.
enum class Family { kKfd, kNv, kKgsl, kDrm, kNone };

Family family_of(uint32_t driver, uint64_t request) {
  switch (static_cast<DriverKind>(driver)) {
    case DriverKind::kKfd: return Family::kKfd;
    case DriverKind::kNvidiaCtl:
    case DriverKind::kNvidiaGpu:
    case DriverKind::kNvidiaUvm: return Family::kNv;
    case DriverKind::kKgsl: return Family::kKgsl;
    case DriverKind::kDriRender: return Family::kDrm;
    case DriverKind::kOther: break;
  }
  if (request >> 32) return Family::kNone;
  switch (core::ioc_magic(request)) {
    case kfd::kKfdIoctlMagic: return Family::kKfd;
    case nv::NV_IOCTL_MAGIC: return Family::kNv;
    case qcom::KGSL_IOC_TYPE: return Family::kKgsl;
    case kDrmMagic: return Family::kDrm;
    default: break;
  }
  return Family::kNone;
}

// The status field of an NV argument ("status", "Status", "rmStatus"), if the row has one.
std::optional<uint32_t> nv_status_of(const core::IoctlDesc& d, std::span<const uint8_t> after) {
  for (std::string_view n : {"status", "Status", "rmStatus", "params.status"}) {
    if (const core::ArgField* f = core::find_field(d, n)) {
      if (auto v = core::read_field(*f, after)) return static_cast<uint32_t>(*v);
    }
  }
  return std::nullopt;
}

}  // namespace

void Decoder::State::print_buffers(const core::IoctlDesc* top, const IoctlRecord& r,
                                   int64_t skip_tag, const core::IoctlDesc* sub,
                                   std::span<const uint8_t> sub_bytes) {
  for (const IoctlBuffer& b : r.buffers) {
    if (static_cast<int64_t>(b.tag) == skip_tag) continue;
    // Tags from kSubBufferTagBase on belong to the pointers inside an RM command's or class's
    // params (the sniffer follows them one level down).
    const bool nested = sub != nullptr && b.tag >= kSubBufferTagBase;
    const core::IoctlDesc* desc = nested ? sub : top;
    const std::span<const uint8_t> container = nested ? sub_bytes : r.arg_before;
    const uint32_t tag = nested ? b.tag - kSubBufferTagBase : b.tag;
    const core::BufferRef* ref = nullptr;
    if (desc != nullptr)
      for (const core::BufferRef& x : desc->buffers)
        if (x.tag == tag) ref = &x;
    std::string head = "buffer " + std::to_string(b.tag);
    if (ref != nullptr) {
      head += " " + std::string(ref->name);
      if (!ref->elem_type.empty()) head += " (" + std::string(ref->elem_type) + ")";
    }
    head += " @" + hex(b.address) + ": " + std::to_string(b.before.size()) + " bytes in";
    if (!b.after.empty()) head += ", " + std::to_string(b.after.size()) + " out";
    detail(head);

    // Element size: the row's constant or the field the row names.
    uint64_t esize = 0;
    if (ref != nullptr && !ref->elem_fields.empty()) {
      esize = ref->elem_size;
      if (esize == 0 && !ref->elem_size_field.empty()) {
        if (const core::ArgField* f = core::find_field(*desc, ref->elem_size_field))
          esize = core::read_field(*f, container).value_or(0);
      }
    }
    if (ref == nullptr || ref->elem_fields.empty() || esize == 0 || esize > core::kMaxNestedBuffer) {
      if (ref == nullptr) rec->unknown = true;
      if (!b.before.empty()) hex_detail("  in ", b.before);
      if (!b.after.empty()) hex_detail("  out", b.after);
      continue;
    }
    core::IoctlDesc elem{.name = ref->elem_type.empty() ? ref->name : ref->elem_type,
                         .size = static_cast<uint32_t>(esize),
                         .fields = ref->elem_fields};
    const bool out = ref->dir != core::ArgDir::kIn && !b.after.empty();
    const std::span<const uint8_t> main = out ? b.after : b.before;
    const uint64_t count = main.size() / esize;
    for (uint64_t i = 0; i < count && i < kMaxElements; ++i) {
      const uint8_t* p = main.data() + i * esize;
      std::string t;
      if (out && b.before.size() >= (i + 1) * esize) {
        // Inputs on entry, then outputs on return ("{index=0x1} => {data=84}").
        const uint8_t* was = b.before.data() + i * esize;
        t = core::format_args(elem, was, esize, core::Phase::kIn);
        const std::string after = body_of(core::format_args(elem, was, p, esize));
        if (body_of(t) == "{}") {
          t = std::string(elem.name) + after;
        } else if (after != "{}") {
          t += " => " + after;
        }
      } else {
        t = core::format_args(elem, p, esize, out ? core::Phase::kOut : core::Phase::kAll);
      }
      detail("  [" + std::to_string(i) + "] " + t);
    }
    if (count > kMaxElements) detail("  ... " + std::to_string(count - kMaxElements) + " more");
    if (main.size() % esize) {
      rec->unknown = true;
      hex_detail("  tail", main.subspan(count * esize));
    }
  }
}

void Decoder::State::decode_ioctl(const IoctlRecord& r) {
  const uint32_t driver = driver_of(r.fd);
  const Family fam = family_of(driver, r.request);
  std::string s = "IOCTL fd=" + std::to_string(r.fd) + " ";

  const core::IoctlTable* table = nullptr;
  core::IoctlMatch m;
  switch (fam) {
    case Family::kKfd:
      table = &kfd::kfd_ioctls();
      m = core::find_by_request(*table, r.request);
      break;
    case Family::kNv: {
      table = &nv::nv_ioctls();
      m = nv::find_nv_request(r.request, nv_branch);
      // UVM numbers carry no size: pick the layout whose size is what was captured.
      if (nv_branch == 0 && m.desc != nullptr &&
          m.desc->encoding == core::IoctlEncoding::kRaw && !r.arg_before.empty() &&
          m.desc->size != r.arg_before.size()) {
        for (const core::IoctlDesc& d : table->rows)
          if (d.encoding == core::IoctlEncoding::kRaw && d.nr == m.desc->nr &&
              d.size == r.arg_before.size())
            m.desc = &d;
      }
      break;
    }
    case Family::kKgsl:
      table = &qcom::kgsl_ioctls();
      m = qcom::find_kgsl_ioctl(r.request);
      break;
    case Family::kDrm:
    case Family::kNone: break;
  }

  const bool exact = m.exact() && r.request <= 0xFFFFFFFFull;
  const core::IoctlDesc* desc = exact ? m.desc : nullptr;
  rec->request_known = exact;
  int64_t skip_tag = -1;
  const core::IoctlDesc* sub = nullptr;  // RM command / class row for nested params pointers
  std::span<const uint8_t> sub_bytes;
  std::string in, out;

  // Result text, with the errno hint of the row.
  std::string res = std::to_string(r.result);
  if (r.result < 0 || r.err != 0) {
    res += " ";
    res += core::errno_name(r.err);
    if (desc != nullptr && table != nullptr) {
      const std::string_view h = core::errno_hint(*table, *desc, r.err);
      if (!h.empty()) res += " (" + std::string(h) + ")";
    }
  }

  if (desc != nullptr) {
    rec->name = std::string(desc->name);
    const std::span<const uint8_t> before = r.arg_before, after = r.arg_after;
    // NVIDIA RM_CONTROL / RM_ALLOC: the params buffer is printed by command / class.
    const bool rm_control = desc->name == "NV_ESC_RM_CONTROL" &&
                            before.size() >= sizeof(nv::NVOS54_PARAMETERS);
    const bool rm_alloc = desc->name == "NV_ESC_RM_ALLOC" &&
                          before.size() >= sizeof(nv::NVOS21_PARAMETERS);
    if (rm_control || rm_alloc) {
      // The params buffer: the row's BufferRef on the params pointer, or the only buffer.
      const std::string_view ptr = rm_control ? "params" : "pAllocParms";
      const IoctlBuffer* pbuf = nullptr;
      for (const core::BufferRef& ref : desc->buffers)
        if (ref.ptr_field == ptr)
          for (const IoctlBuffer& b : r.buffers)
            if (b.tag == ref.tag) pbuf = &b;
      if (pbuf == nullptr && desc->buffers.empty() && r.buffers.size() == 1) pbuf = &r.buffers[0];
      if (pbuf != nullptr) skip_tag = pbuf->tag;
      const std::span<const uint8_t> pin = pbuf ? pbuf->before : std::span<const uint8_t>{};
      const std::span<const uint8_t> pout = pbuf ? pbuf->after : std::span<const uint8_t>{};
      if (rm_control) {
        nv::NVOS54_PARAMETERS pb{}, pa{};
        load(before, pb);
        const bool have_after = load(after, pa);
        rec->name = nv::rm_op_name("NV_ESC_RM_CONTROL", nv::rm_control_name(pb.cmd), pb.cmd);
        sub = nv::find_sized(nv::rm_controls(), pb.cmd, pb.paramsSize);
        if (sub == nullptr) sub = nv::find_versioned(nv::rm_controls(), pb.cmd, nv_branch);
        sub_bytes = pin;
        in = nv::format_rm_control(pb, pin.data(), pin.size(), core::Phase::kIn);
        if (have_after) {
          out = body_of(nv::format_rm_control(pa, pout.empty() ? pin.data() : pout.data(),
                                              pout.empty() ? pin.size() : pout.size(),
                                              core::Phase::kOut));
          if (pa.status != 0) {
            const std::string_view h = nv::nv_status_hint(pa.status);
            detail("NV status " + nv::nv_status_string(pa.status) +
                   (h.empty() ? "" : ": " + std::string(h)));
          }
        }
        if (nv::rm_control_name(pb.cmd).empty()) rec->unknown = true;
      } else {
        // NVOS64 is NVOS21 with pRightsRequested and flags: print it through the NVOS21 form.
        nv::NVOS21_PARAMETERS pb{}, pa{};
        bool have_after = false;
        if (before.size() >= sizeof(nv::NVOS64_PARAMETERS) && desc->size == sizeof(nv::NVOS64_PARAMETERS)) {
          nv::NVOS64_PARAMETERS b64{}, a64{};
          load(before, b64);
          pb = {b64.hRoot, b64.hObjectParent, b64.hObjectNew, b64.hClass, b64.pAllocParms,
                b64.paramsSize, b64.status};
          if (load(after, a64)) {
            pa = {a64.hRoot, a64.hObjectParent, a64.hObjectNew, a64.hClass, a64.pAllocParms,
                  a64.paramsSize, a64.status};
            have_after = true;
          }
        } else {
          load(before, pb);
          have_after = load(after, pa);
        }
        rec->name = nv::rm_op_name("NV_ESC_RM_ALLOC", nv::rm_class_name(pb.hClass), pb.hClass);
        sub = nv::find_versioned(nv::rm_classes(), pb.hClass, nv_branch);
        sub_bytes = pin;
        in = nv::format_rm_alloc(pb, pin.data(), pin.size(), core::Phase::kIn, nv_branch);
        if (have_after) {
          out = body_of(nv::format_rm_alloc(pa, pout.empty() ? pin.data() : pout.data(),
                                            pout.empty() ? pin.size() : pout.size(),
                                            core::Phase::kOut, nv_branch));
          if (pa.status != 0) {
            const std::string_view h = nv::nv_status_hint(pa.status);
            detail("NV status " + nv::nv_status_string(pa.status) +
                   (h.empty() ? "" : ": " + std::string(h)));
          }
          // A channel: remember its host class for the pushbuffers submitted to it.
          const auto kind = nv::class_kind(pa.hClass);
          if (pa.status == 0 && r.result == 0 && kind && *kind == nv::ClassKind::kHost &&
              pa.hObjectNew != 0) {
            if (nv_channels.size() >= kMaxRemembered) nv_channels.clear();
            nv_channels[pa.hObjectNew] = pa.hClass;
            nv_last_host_class = pa.hClass;
            // Its GPFIFO ring (NV_CHANNEL_ALLOC_PARAMS gpFifoOffset, gpFifoEntries x 8 bytes).
            if (sub != nullptr) {
              const core::ArgField* off = core::find_field(*sub, "gpFifoOffset");
              const core::ArgField* cnt = core::find_field(*sub, "gpFifoEntries");
              auto o = off ? core::read_field(*off, pin) : std::nullopt;
              auto c = cnt ? core::read_field(*cnt, pin) : std::nullopt;
              if (o && c && *o != 0 && *c != 0 && *c < (1u << 24)) {
                if (nv_rings.size() >= kMaxRemembered) nv_rings.clear();
                nv_rings[*o] = *c * 8;
              }
            }
          }
        }
        if (nv::rm_class_name(pb.hClass).empty()) rec->unknown = true;
      }
    } else {
      in = core::format_args(*desc, before.data(), before.size(), core::Phase::kIn);
      if (!after.empty()) {
        if (before.size() >= after.size()) {
          out = body_of(core::format_args(*desc, before.data(), after.data(), after.size()));
        } else {
          out = body_of(core::format_args(*desc, after.data(), after.size(), core::Phase::kOut));
        }
        if (fam == Family::kNv) {
          if (auto st = nv_status_of(*desc, after); st && *st != 0) {
            const std::string_view h = nv::nv_status_hint(*st);
            detail("NV status " + nv::nv_status_string(*st) +
                   (h.empty() ? "" : ": " + std::string(h)));
          }
        }
      }
    }
    s += in;
    if (!out.empty() && out != "{}") s += " => " + out;

    // State the rest of the trace depends on.
    if (desc->name == "AMDKFD_IOC_CREATE_QUEUE" && r.result == 0) {
      const core::ArgField* qt = core::find_field(*desc, "queue_type");
      const core::ArgField* qi = core::find_field(*desc, "queue_id");
      if (qt && qi) {
        auto type = core::read_field(*qt, before);
        auto id = core::read_field(*qi, after);
        if (type && id) {
          if (kfd_queues.size() >= kMaxRemembered) kfd_queues.clear();
          kfd_queues[*id] = static_cast<uint32_t>(*type);
        }
      }
    }
    if (desc->name == "NV_ESC_CHECK_VERSION_STR" && opt.nv_branch == 0) {
      nv::nv_ioctl_rm_api_version_t v{};
      // QUERY: the kernel writes its version; otherwise the caller's is compared.
      if (load(after, v) || load(before, v)) {
        uint32_t major = 0;
        for (size_t i = 0; i < sizeof v.versionString && v.versionString[i] >= '0' &&
                           v.versionString[i] <= '9' && major < 10000;
             ++i)
          major = major * 10 + static_cast<uint32_t>(v.versionString[i] - '0');
        if (major >= 400 && major < 2000) nv_branch = major;
      }
    }
  } else {
    // Not described (or described with another size/direction): name what we can, args in hex.
    rec->unknown = true;
    std::string what;
    if (m.desc != nullptr && table != nullptr) {
      what = core::describe_request(*table, r.request);
      rec->name = std::string(m.desc->name);
    } else if (std::string_view dn = fam == Family::kDrm ? drm_name(r.request) : std::string_view{};
               !dn.empty()) {
      what = std::string(dn);
      rec->name = what;
    } else {
      what = "ioctl " + request_text(r.request);
      if (fam != Family::kNone && table != nullptr) what += " (" + std::string(table->driver) + ")";
      if (fam == Family::kDrm) what += " (drm)";
      rec->name = "ioctl " + hex(r.request);
    }
    s += what;
    if (!r.arg_before.empty()) s += " in=[" + hex_bytes(r.arg_before, 32) + "]";
    if (!r.arg_after.empty()) s += " out=[" + hex_bytes(r.arg_after, 32) + "]";
    if (r.arg_before.size() > 32) hex_detail("arg in ", r.arg_before);
    if (r.arg_after.size() > 32) hex_detail("arg out", r.arg_after);
  }
  s += " = " + res;
  rec->summary = std::move(s);
  if (sub == nullptr) skip_tag = -1;  // params of an unknown command/class: shown as hex
  print_buffers(desc, r, skip_tag, sub, sub_bytes);
}

// ---- SUBMISSION ---------------------------------------------------------------------------------

void Decoder::State::decode_kfd_stream(std::span<const uint8_t> data, uint64_t queue) {
  kfd::PacketFormat fmt{.engine = kfd::Engine::kPm4, .gfx = gfx,
                        .sdma = kfd::default_sdma_gen(gfx)};
  auto it = kfd_queues.find(queue);
  std::string qdesc;
  if (it == kfd_queues.end()) {
    qdesc = "queue type unknown (no CREATE_QUEUE seen): read as PM4";
  } else {
    // include/uapi/linux/kfd_ioctl.h KFD_IOC_QUEUE_TYPE_*
    switch (it->second) {
      case 0: fmt.engine = kfd::Engine::kPm4; break;
      case 2: fmt.engine = kfd::Engine::kAql; break;
      case 1:
      case 3:
      case 4: fmt.engine = kfd::Engine::kSdma; break;
      default: break;
    }
    std::string qt;
    core::append_enum(qt, it->second, kfd::queue_type_names(), "KFD_IOC_QUEUE_TYPE_");
    qdesc = qt;
  }
  detail(qdesc + ", " + kfd::engine_name(fmt.engine) + " " +
         (fmt.engine == kfd::Engine::kSdma ? kfd::sdma_gen_name(fmt.sdma)
                                           : kfd::gfx_gen_name(fmt.gfx)));
  const std::vector<uint32_t> w = to_words(data);
  const std::span<const uint32_t> buf(w);
  for (uint32_t off = 0; off < buf.size();) {
    ++rec->packets;
    core::Result<kfd::DecodedPacket> d = kfd::decode(buf, off, fmt);
    if (d.ok()) {
      uint32_t step = std::max<uint32_t>(1, d->dwords());
      std::string line = hexf("0x%04" PRIx64 ": ", off) + kfd::engine_name(fmt.engine) + " " +
                         d->text();
      if (d->id == kfd::PacketId::kSdmaNop && d->raw[0] == 0) {
        uint32_t run = 1;
        while (off + run < buf.size() && buf[off + run] == 0) ++run;
        if (run > 1) line += " x" + std::to_string(run);
        step = run;
      }
      detail(std::move(line));
      off += step;
      continue;
    }
    ++rec->packets_unknown;
    rec->unknown = true;
    detail(hexf("0x%04" PRIx64 ": error: ", off) + d.error().message());
    // Skip one packet where its size can be read from the header; otherwise stop.
    uint32_t skip = 0;
    if (fmt.engine == kfd::Engine::kAql) {
      skip = 16;
    } else if (fmt.engine == kfd::Engine::kPm4 && (buf[off] >> 30) == 3) {
      skip = ((buf[off] >> 16) & 0x3FFF) + 2;  // PM4 type-3: COUNT = dwords after header - 1
    }
    if (skip == 0 || off + skip > buf.size()) {
      hex_detail("  rest", data.subspan(off * 4ull, (buf.size() - off) * 4ull));
      break;
    }
    hex_detail("  skip", data.subspan(off * 4ull, skip * 4ull));
    off += skip;
  }
  if (data.size() % 4) {
    rec->unknown = true;
    hex_detail("  trailing", data.subspan(data.size() / 4 * 4));
  }
}

void Decoder::State::decode_nv_qmd(std::span<const uint8_t> data, uint32_t compute_class,
                                   std::string_view what) {
  const auto v = nv::qmd_version_of(compute_class);
  if (!v) {
    rec->unknown = true;
    detail(std::string(what) + ": QMD of unknown compute class " + hex(compute_class));
    return;
  }
  const std::vector<uint32_t> w = to_words(data);
  if (w.size() < nv::qmd_dwords(*v)) {
    rec->unknown = true;
    detail(std::string(what) + ": " + std::to_string(w.size()) + " dwords, short of a QMD " +
           nv::qmd_version_name(*v));
    return;
  }
  const std::span<const uint32_t> q = std::span<const uint32_t>(w).first(nv::qmd_dwords(*v));
  ++rec->packets;
  core::Result<nv::QmdParams> p = nv::decode_qmd(q, *v);
  if (!p.ok()) {
    ++rec->packets_unknown;
    rec->unknown = true;
    detail(std::string(what) + ": " + p.error().message());
  }
  detail(std::string(what) + ": " + nv::format_qmd(q, *v));
}

void Decoder::State::decode_nv_pushbuffer(std::span<const uint32_t> pb, uint64_t channel) {
  auto st_it = nv_state.find(channel);
  if (st_it == nv_state.end()) {
    if (nv_state.size() >= kMaxRemembered) nv_state.clear();
    nv::ChannelState st;
    auto ch = nv_channels.find(static_cast<uint32_t>(channel));
    st.host_class = ch != nv_channels.end() ? ch->second
                    : nv_last_host_class     ? nv_last_host_class
                                             : nv::AMPERE_CHANNEL_GPFIFO_A;
    st_it = nv_state.emplace(channel, st).first;
  }
  nv::ChannelState& st = st_it->second;
  const nv::ClassDesc* host = nv::find_class(st.host_class);
  detail(std::string("pushbuffer, host class ") + (host ? host->name : hex(st.host_class).c_str()));
  for (uint32_t off = 0; off < pb.size();) {
    ++rec->packets;
    core::Result<nv::PushbufferEntry> e = nv::decode_entry(pb, off);
    if (!e.ok()) {
      ++rec->packets_unknown;
      rec->unknown = true;
      detail(hexf("0x%04" PRIx64 ": error: ", off) + e.error().message());
      const auto rest = std::as_bytes(pb.subspan(off));
      hex_detail("  rest", {reinterpret_cast<const uint8_t*>(rest.data()), rest.size()});
      return;
    }
    if (e->header.sec_op == nv::SecOp::END_PB_SEGMENT) {
      detail(hexf("0x%04" PRIx64 ": END_PB_SEGMENT", off));
      if (off + 1 < pb.size())
        detail(std::to_string(pb.size() - off - 1) + " dwords after END_PB_SEGMENT not decoded");
      return;
    }
    const char* mark = e->header.sec_op == nv::SecOp::NON_INC_METHOD     ? " [NON_INC]"
                       : e->header.sec_op == nv::SecOp::ONE_INC          ? " [ONE_INC]"
                       : e->header.sec_op == nv::SecOp::IMMD_DATA_METHOD ? " [IMMD]"
                                                                         : "";
    bool bad = false;
    for (uint32_t i = 0; i < e->writes(); ++i) {
      core::Result<nv::MethodWrite> w = nv::resolve_write(st, *e, i);
      const std::string pos = hexf("0x%04" PRIx64 ": ", e->offset_of(i));
      if (!w.ok()) {
        bad = true;
        detail(pos + "error: " + w.error().message() + " (data " + hex(e->value_of(i)) + ")");
        continue;
      }
      if (w->desc == nullptr) bad = true;
      detail(pos + "subch " + std::to_string(w->subchannel) + " " + w->text() + mark);
      if (w->desc == nullptr || w->cls == nullptr) continue;
      const std::string_view mname = w->desc->name;
      if (mname == "SEND_PCAS_A") {
        if (auto a = w->field("qmd_address_shifted8")) remember_qmd(*a << 8, w->cls->id);
      } else if (mname == "SET_INLINE_QMD_ADDRESS_A" || mname == "SET_INLINE_QMD_ADDRESS_B") {
        nv_inline_qmd.clear();
      } else if (mname == "LOAD_INLINE_QMD_DATA") {
        const auto v = nv::qmd_version_of(w->cls->id);
        if (v && w->index == nv_inline_qmd.size()) {
          nv_inline_qmd.push_back(w->data);
          if (nv_inline_qmd.size() == nv::qmd_dwords(*v)) {
            const auto bytes = std::as_bytes(std::span<const uint32_t>(nv_inline_qmd));
            decode_nv_qmd({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()},
                          w->cls->id, "  inline QMD");
            nv_inline_qmd.clear();
          }
        } else {
          nv_inline_qmd.clear();
        }
      }
    }
    if (bad) {
      ++rec->packets_unknown;
      rec->unknown = true;
    }
    off += e->dwords();
  }
}

void Decoder::State::decode_nv_stream(const SubmissionRecord& r) {
  const std::span<const uint8_t> data = r.data;
  // A QMD sent earlier by SEND_PCAS_A.
  if (auto q = nv_qmds.find(r.address); q != nv_qmds.end() && r.address != 0) {
    decode_nv_qmd(data, q->second, "QMD");
    return;
  }
  if (data.empty()) {
    detail("no bytes captured");
    return;
  }
  const bool pb_target = r.address != 0 && nv_pb_targets.count(r.address) != 0;
  // Inside a channel's GPFIFO ring: ring entries, whatever they look like.
  bool in_ring = false;
  if (auto it = nv_rings.upper_bound(r.address); r.address != 0 && it != nv_rings.begin()) {
    --it;
    in_ring = r.address - it->first < it->second;
  }
  bool gpfifo = !pb_target && data.size() % 8 == 0;
  std::vector<uint64_t> entries;
  if (gpfifo) {
    entries.resize(data.size() / 8);
    std::memcpy(entries.data(), data.data(), data.size());
    for (size_t i = 0; i < entries.size() && gpfifo && !in_ring; ++i)
      gpfifo = nv::decode_gpfifo_entry(entries[i], static_cast<uint32_t>(i)).ok();
  }
  if (gpfifo) {
    detail("GPFIFO entries");
    for (size_t i = 0; i < entries.size(); ++i) {
      ++rec->packets;
      core::Result<nv::GpfifoEntry> e = nv::decode_gpfifo_entry(entries[i], static_cast<uint32_t>(i));
      detail(hexf("slot %" PRIu64 ": ", i) + nv::format_gpfifo_entry(entries[i]));
      if (!e.ok()) {
        ++rec->packets_unknown;
        rec->unknown = true;
        detail("  error: " + e.error().message());
      } else {
        if (nv_pb_targets.size() >= kMaxRemembered) nv_pb_targets.clear();
        nv_pb_targets.insert(e->address);
      }
    }
    return;
  }
  const std::vector<uint32_t> w = to_words(data);
  decode_nv_pushbuffer(w, r.queue);
  if (data.size() % 4) {
    rec->unknown = true;
    hex_detail("  trailing", data.subspan(data.size() / 4 * 4));
  }
}

void Decoder::State::decode_adreno_stream(std::span<const uint8_t> data) {
  detail(std::string("Adreno PM4, ") + qcom::gen_name(adreno));
  const std::vector<uint32_t> w = to_words(data);
  const std::span<const uint32_t> buf(w);
  for (uint32_t at = 0; at < buf.size();) {
    ++rec->packets;
    core::Result<qcom::Pm4Packet> p = qcom::decode_packet(buf, at, adreno);
    if (p.ok()) {
      const std::string text = qcom::format_pm4_packet(*p, adreno);
      size_t start = 0;
      bool first = true;
      while (start <= text.size()) {
        size_t nl = text.find('\n', start);
        if (nl == std::string::npos) nl = text.size();
        detail((first ? hexf("0x%04" PRIx64 ": ", at) : std::string(8, ' ')) +
               text.substr(start, nl - start));
        first = false;
        start = nl + 1;
      }
      at += static_cast<uint32_t>(std::max<size_t>(1, p->words.size()));
      continue;
    }
    ++rec->packets_unknown;
    rec->unknown = true;
    detail(hexf("0x%04" PRIx64 ": error: ", at) + p.error().message());
    // Skip by the header's count when the header is a type-4/7 header at all.
    const uint32_t h = buf[at];
    uint32_t skip = 0;
    if ((h >> 28) == 7) skip = 1 + (h & qcom::kPkt7MaxCount);
    if ((h >> 28) == 4) skip = 1 + (h & qcom::kPkt4MaxCount);
    if (skip == 0 || at + skip > buf.size()) {
      hex_detail("  rest", data.subspan(at * 4ull, (buf.size() - at) * 4ull));
      break;
    }
    hex_detail("  skip", data.subspan(at * 4ull, skip * 4ull));
    at += skip;
  }
  if (data.size() % 4) {
    rec->unknown = true;
    hex_detail("  trailing", data.subspan(data.size() / 4 * 4));
  }
}

void Decoder::State::decode_submission(const SubmissionRecord& r) {
  rec->summary = "SUBMISSION " + driver_text(r.driver) + " queue=" + hex(r.queue) +
                 " address=" + hex(r.address) + " bytes=" + std::to_string(r.data.size());
  rec->name = "SUBMISSION";
  if (!opt.packets) return;
  switch (static_cast<DriverKind>(r.driver)) {
    case DriverKind::kKfd: decode_kfd_stream(r.data, r.queue); break;
    case DriverKind::kNvidiaCtl:
    case DriverKind::kNvidiaGpu:
    case DriverKind::kNvidiaUvm: decode_nv_stream(r); break;
    case DriverKind::kKgsl: decode_adreno_stream(r.data); break;
    default:
      rec->unknown = true;
      if (!r.data.empty()) ++rec->packets, ++rec->packets_unknown;
      hex_detail("data", r.data);
      break;
  }
}

// ---- the record ---------------------------------------------------------------------------------

namespace {

// The record's raw fields as a JSON object: integers as numbers, text as strings, byte spans as
// hex (up to 4 KiB; longer ones by length only).
template <class R>
std::string raw_fields_json(const R& r) {
  nlohmann::json j = nlohmann::json::object();
  r.fields([&](const char* name, const auto& v) {
    using V = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<V, std::string_view>) {
      j[name] = std::string(v);
    } else if constexpr (std::is_same_v<V, std::span<const uint8_t>>) {
      if (v.size() <= 4096) {
        std::string h;
        h.reserve(v.size() * 2);
        char t[3];
        for (uint8_t c : v) {
          std::snprintf(t, sizeof t, "%02x", c);
          h += t;
        }
        j[name] = h;
      } else {
        j[std::string(name) + "_len"] = v.size();
      }
    } else {
      j[name] = v;
    }
  });
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string mmap_offset_text(uint32_t driver, int64_t offset) {
  const auto off = static_cast<uint64_t>(offset);
  std::string out = hex(off);
  if (driver == static_cast<uint32_t>(DriverKind::kKfd)) {
    // drivers/gpu/drm/amd/amdkfd/kfd_priv.h KFD_MMAP_TYPE_* (kfd/abi.h)
    const uint64_t t = kfd::kfd_mmap_type(off);
    const char* tn = t == kfd::KFD_MMAP_TYPE_DOORBELL       ? "KFD_MMAP_TYPE_DOORBELL"
                     : t == kfd::KFD_MMAP_TYPE_EVENTS       ? "KFD_MMAP_TYPE_EVENTS"
                     : t == kfd::KFD_MMAP_TYPE_RESERVED_MEM ? "KFD_MMAP_TYPE_RESERVED_MEM"
                                                            : "KFD_MMAP_TYPE_MMIO";
    out += std::string(" (") + tn + " gpu_id=" + std::to_string(kfd::kfd_mmap_gpu_id(off)) +
           " value=" + hex(kfd::kfd_mmap_value(off)) + ")";
  } else if (driver == static_cast<uint32_t>(DriverKind::kKgsl) && off != 0) {
    // msm kgsl_mmap(): vm_pgoff is the id of the GPU object (GPUOBJ_ALLOC/GPUMEM_ALLOC_ID).
    out += " (id " + std::to_string(off >> 12) + ")";
  }
  return out;
}

}  // namespace

core::Result<DecodedRecord> Decoder::decode(const RecordView& view) {
  DecodedRecord r;
  r.index = s_->next_index++;
  r.offset = view.offset;
  r.timestamp_ns = view.timestamp_ns - s_->header.start_monotonic_ns;
  r.tid = view.tid;
  r.type = view.type;
  core::Result<Record> rec = trace::decode(view);
  if (!rec.ok()) return std::move(rec).error();

  State& s = *s_;
  s.rec = &r;
  s.overflow = 0;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        r.fields_json = raw_fields_json(x);
        if constexpr (std::is_same_v<T, OpenRecord>) {
          r.name = "OPEN";
          r.summary = "OPEN \"" + std::string(x.path) + "\" " + open_flags_text(x.flags);
          if (x.flags & O_CREAT) r.summary += " mode=" + hexf("0%" PRIo64, x.mode);
          r.summary += " [" + driver_text(x.driver) + "] = " + neg_errno_text(x.result);
          if (x.result >= 0) {
            // The path decides, as the sniffer's own guess does; the recorded kind if it differs.
            uint32_t d = static_cast<uint32_t>(guess_driver(x.path));
            if (d == static_cast<uint32_t>(DriverKind::kOther)) d = x.driver;
            s.fds[x.result] = d;
          }
        } else if constexpr (std::is_same_v<T, CloseRecord>) {
          r.name = "CLOSE";
          r.summary = "CLOSE fd=" + std::to_string(x.fd) + " [" + driver_text(s.driver_of(x.fd)) +
                      "] = " + neg_errno_text(x.result);
          if (x.result == 0) s.fds.erase(x.fd);
        } else if constexpr (std::is_same_v<T, DupRecord>) {
          r.name = "DUP";
          r.summary = "DUP old_fd=" + std::to_string(x.old_fd);
          if (x.requested_fd >= 0) r.summary += " requested_fd=" + std::to_string(x.requested_fd);
          if (x.flags) r.summary += " flags=" + flags_text(x.flags, kOpenFlagNames, "O_");
          r.summary += " [" + driver_text(s.driver_of(x.old_fd)) + "] = " +
                       neg_errno_text(x.new_fd);
          if (x.new_fd >= 0) {
            auto it = s.fds.find(x.old_fd);
            if (it != s.fds.end()) s.fds[x.new_fd] = it->second;
            else s.fds.erase(x.new_fd);
          }
        } else if constexpr (std::is_same_v<T, IoctlRecord>) {
          s.decode_ioctl(x);
        } else if constexpr (std::is_same_v<T, MmapRecord>) {
          r.name = "MMAP";
          const uint32_t d = x.fd >= 0 ? s.driver_of(x.fd) : 0;
          r.summary = "MMAP addr=" + hex(x.addr) + " len=" + hex(x.len) +
                      " prot=" + flags_text(static_cast<uint32_t>(x.prot), kProtNames, "PROT_") +
                      " flags=" + flags_text(static_cast<uint32_t>(x.flags), kMapNames, "MAP_") +
                      " fd=" + std::to_string(x.fd);
          if (x.fd >= 0) r.summary += " [" + driver_text(d) + "]";
          r.summary += " offset=" + mmap_offset_text(d, x.offset) + " = ";
          if (x.result == ~0ull) {
            r.summary += "MAP_FAILED";
            if (x.err != 0) r.summary += std::string(" ") + core::errno_name(x.err);
          } else {
            r.summary += hex(x.result);
          }
        } else if constexpr (std::is_same_v<T, MunmapRecord>) {
          r.name = "MUNMAP";
          r.summary = "MUNMAP addr=" + hex(x.addr) + " len=" + hex(x.len) + " = " +
                      neg_errno_text(x.result);
        } else if constexpr (std::is_same_v<T, DoorbellRecord>) {
          r.name = "DOORBELL";
          r.summary = "DOORBELL address=" + hex(x.address) + " value=" + hex(x.value) +
                      " width=" + std::to_string(x.width);
        } else if constexpr (std::is_same_v<T, SubmissionRecord>) {
          s.decode_submission(x);
        } else if constexpr (std::is_same_v<T, MemorySnapshotRecord>) {
          r.name = "MEMORY_SNAPSHOT";
          const char* reason = snapshot_reason_name(x.reason);
          r.summary = std::string("MEMORY_SNAPSHOT ") +
                      (x.space == 0 ? "cpu" : x.space == 1 ? "gpu" : "space ") +
                      (x.space > 1 ? std::to_string(x.space) : "") + " address=" + hex(x.address) +
                      " size=" + std::to_string(x.data.size()) + " reason=" +
                      (reason ? reason : "reason " + std::to_string(x.reason));
          if (!x.data.empty()) r.summary += " [" + hex_bytes(x.data, 16) + "]";
          if (x.space > 1 || reason == nullptr) r.unknown = true;
          // A QMD sent by SEND_PCAS_A inside this snapshot.
          // CPU snapshots too: rawgpu, tinygrad and CUDA map GPU VA == CPU VA through UVM.
          if (x.space <= static_cast<uint32_t>(AddressSpace::kGpu) && s.opt.packets) {
            for (auto it = s.nv_qmds.lower_bound(x.address);
                 it != s.nv_qmds.end() && it->first - x.address < x.data.size(); ++it) {
              s.decode_nv_qmd(x.data.subspan(it->first - x.address), it->second,
                              "QMD at " + hex(it->first));
            }
          }
        } else if constexpr (std::is_same_v<T, EndRecord>) {
          r.name = "END";
          r.summary = "END record_count=" + std::to_string(x.record_count);
        } else {
          r.name = "UNKNOWN";
          r.unknown = true;
          r.summary = "UNKNOWN record type " + std::to_string(x.type) + " (" +
                      std::to_string(x.payload.size()) + " bytes)";
          s.hex_detail("payload", x.payload.first(std::min<size_t>(x.payload.size(), 4096)));
        }
      },
      *rec);
  if (s.overflow) r.details.push_back("... " + std::to_string(s.overflow) + " more lines");
  s.rec = nullptr;
  return r;
}

std::string Decoder::json(const DecodedRecord& r) const {
  nlohmann::json j;
  j["index"] = r.index;
  j["offset"] = r.offset;
  j["t_ns"] = r.timestamp_ns;
  j["tid"] = r.tid;
  const char* tn = record_type_name(r.type);
  j["type"] = tn ? tn : std::to_string(r.type);
  j["name"] = r.name;
  j["summary"] = r.summary;
  j["details"] = r.details;
  j["unknown"] = r.unknown;
  if (r.type == static_cast<uint32_t>(RecordType::kIoctl)) j["request_known"] = r.request_known;
  if (r.type == static_cast<uint32_t>(RecordType::kSubmission)) {
    j["packets"] = r.packets;
    j["packets_unknown"] = r.packets_unknown;
  }
  if (!r.fields_json.empty()) {
    nlohmann::json f = nlohmann::json::parse(r.fields_json, nullptr, false);
    if (!f.is_discarded()) j["fields"] = std::move(f);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// ---- the file -------------------------------------------------------------------------------------

std::string summary_line(const DecodeStats& st) {
  return std::to_string(st.records) + " records: " + std::to_string(st.ioctls) + " ioctls (" +
         std::to_string(st.ioctls_known) + " decoded, " + std::to_string(st.ioctls_unknown) +
         " unknown), " + std::to_string(st.submissions) + " submissions (" +
         std::to_string(st.packets) + " packets, " + std::to_string(st.packets_unknown) +
         " unknown)";
}

core::Result<DecodeStats> decode_file(const std::string& path, const DecodeFileOptions& options,
                                      std::ostream& out, DecodeStats* partial) {
  DecodeStats st;
  auto publish = [&] {
    if (partial != nullptr) *partial = st;
  };
  publish();
  RAWGPU_ASSIGN(TraceReader reader, TraceReader::open_file(path));
  Decoder dec(reader.header(), options.decode);
  const uint64_t t0 = reader.header().start_monotonic_ns;
  for (;;) {
    core::Result<std::optional<RecordView>> v = reader.next();
    if (!v.ok()) {
      st.truncated = reader.truncated();
      publish();
      return std::move(v).error();
    }
    if (!v->has_value()) break;
    const RecordView& view = **v;
    core::Result<DecodedRecord> d = dec.decode(view);
    if (!d.ok()) {
      publish();
      return std::move(d).error();
    }
    const DecodedRecord& r = *d;
    ++st.records;
    if (r.type == static_cast<uint32_t>(RecordType::kIoctl)) {
      ++st.ioctls;
      if (r.request_known) ++st.ioctls_known;
      else ++st.ioctls_unknown;
    } else if (r.type == static_cast<uint32_t>(RecordType::kSubmission)) {
      ++st.submissions;
      st.packets += r.packets;
      st.packets_unknown += r.packets_unknown;
    }
    publish();
    if (!options.grep.empty()) {
      bool hit = r.summary.find(options.grep) != std::string::npos;
      for (size_t i = 0; !hit && i < r.details.size(); ++i)
        hit = r.details[i].find(options.grep) != std::string::npos;
      if (!hit) continue;
    }
    if (options.json) {
      out << dec.json(r) << '\n';
    } else {
      const int64_t rel = static_cast<int64_t>(view.timestamp_ns - t0);
      char head[80];
      std::snprintf(head, sizeof head, "#%" PRIu64 " %s%" PRId64 ".%06" PRId64 " tid=%" PRIu32 " ",
                    r.index, rel < 0 ? "-" : "", (rel < 0 ? -(rel / 1000) : rel / 1000) / 1000000,
                    (rel < 0 ? -(rel / 1000) : rel / 1000) % 1000000, r.tid);
      out << head << r.summary << '\n';
      for (const std::string& line : r.details) out << "    " << line << '\n';
    }
  }
  st.truncated = reader.truncated();
  st.ended = reader.ended();
  publish();
  return st;
}

}  // namespace rawgpu::trace

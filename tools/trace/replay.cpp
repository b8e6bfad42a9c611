// rawgpu — trace replayer (see replay.h for what is remapped and why).
#include "tools/trace/replay.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>

#include "core/device_name.h"
#include "core/ioctl_desc.h"
#include "devices/registry.h"
#include "kfd/describe.h"
#include "nv_ioctl/describe.h"
#include "nv_ioctl/packets.h"
#include "qcom_kgsl/abi.h"
#include "qcom_kgsl/describe.h"
#include "tools/trace/decode.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000  // include/uapi/asm-generic/mman-common.h (Linux 4.17)
#endif

namespace rawgpu::trace {
namespace {

using core::ArgField;
using core::ArgKind;
using core::ArgRole;
using core::Error;
using core::IoctlDesc;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMapFailed = ~uint64_t{0};
// Inaccessible span that pointer fields without a captured buffer are aimed at: larger than any
// nested buffer (core::kMaxNestedBuffer), so the driver's copy fails with EFAULT.
constexpr uint64_t kGuardBytes = 2 * core::kMaxNestedBuffer;

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

// "0", "-1 EINVAL"
std::string result_text(int64_t rc) {
  if (rc >= 0) return std::to_string(rc);
  return "-1 " + std::string(core::errno_name(static_cast<int>(-rc)));
}

bool is_nvidia(uint32_t k) {
  return k == static_cast<uint32_t>(DriverKind::kNvidiaCtl) ||
         k == static_cast<uint32_t>(DriverKind::kNvidiaGpu) ||
         k == static_cast<uint32_t>(DriverKind::kNvidiaUvm);
}

// The description row of `request` on an fd of driver `kind`, when the size matches one.
// `nv_branch`: the NVIDIA driver branch of the recording (0: unknown); UVM numbers carry no
// size, so the branch picks the layout (else the one whose size is the captured `arg_size`).
const IoctlDesc* find_row(uint32_t kind, unsigned long request, uint32_t nv_branch = 0,
                          size_t arg_size = 0) {
  core::IoctlMatch m;
  if (kind == static_cast<uint32_t>(DriverKind::kKfd))
    m = core::find_by_request(kfd::kfd_ioctls(), request);
  else if (is_nvidia(kind)) {
    m = nv::find_nv_request(request, nv_branch);
    if (nv_branch == 0 && m.desc && m.desc->encoding == core::IoctlEncoding::kRaw && arg_size &&
        m.desc->size != arg_size)
      for (const IoctlDesc& d : nv::nv_ioctls().rows)
        if (d.encoding == core::IoctlEncoding::kRaw && d.nr == m.desc->nr && d.size == arg_size)
          m.desc = &d;
  }
  else if (kind == static_cast<uint32_t>(DriverKind::kKgsl))
    m = qcom::find_kgsl_ioctl(request);
  return m.desc && m.size_ok ? m.desc : nullptr;
}

struct Target {
  int fd = -1;
  uint32_t kind = 0;  // DriverKind
  std::string path;
  bool skipped = false;  // a driver this replay leaves out (ReplayOptions::drivers)
};

// One range of the replayer's address space that stands for a recorded range.
struct Mapping {
  uint64_t rec = 0;  // recorded address
  uint64_t len = 0;  // page-rounded
  uint8_t* addr = nullptr;
  int prot = 0;
  bool device = false;  // a device mapping (else anonymous host memory the replayer made)
  uint64_t epoch = 0;   // State::gpu_epoch when it was made (see do_snapshot)
};

// A GPU address range the driver chose: recorded base -> new base.
struct GpuRange {
  uint64_t rec = 0;
  uint64_t len = 1;
  uint64_t now = 0;
};

}  // namespace

struct Replayer::State {
  core::Sys& sys;
  ReplayOptions opts;
  std::map<int, std::shared_ptr<Target>> fds;
  std::vector<std::shared_ptr<Target>> all_targets;  // every target fd opened (closed at finish)
  std::vector<Mapping> maps;
  std::map<std::string, std::map<uint64_t, uint64_t>, std::less<>> handles;
  std::map<std::string, std::vector<GpuRange>, std::less<>> gpu;
  std::map<uint64_t, uint64_t> offsets;  // recorded mmap offset -> new
  void* guard = nullptr;
  // GPU work seen so far (SUBMISSION and DOORBELL records, KGSL submit ioctls), and per recorded
  // page the count when a restore snapshot last wrote it: a check snapshot is held against a page
  // only where GPU work came after (replay.h, "check").
  uint64_t gpu_epoch = 0;
  std::map<uint64_t, uint64_t> restored;
  ReplayStats stats;
  bool finished = false;
  uint32_t nv_branch = 0;  // driver branch of the recording (NV_ESC_CHECK_VERSION_STR), 0 unknown

  State(core::Sys& s, ReplayOptions o) : sys(s), opts(std::move(o)) {}

  bool wanted(uint32_t kind) const {
    if (opts.drivers.empty()) return true;
    for (DriverKind k : opts.drivers)
      if (static_cast<uint32_t>(k) == kind) return true;
    return false;
  }
  // Records on an fd of a driver this replay leaves out.
  bool skip_fd(int32_t fd) {
    auto it = fds.find(fd);
    if (it == fds.end() || !it->second->skipped) return false;
    ++stats.skipped;
    return true;
  }

  void log(const std::string& line) {
    if (opts.log) opts.log(line);
  }

  // ---- address maps

  // The replayer's pointer for recorded [rec, rec + n), when one mapping holds all of it.
  uint8_t* cpu(uint64_t rec, uint64_t n, const Mapping** which = nullptr) const {
    for (const Mapping& m : maps)
      if (rec >= m.rec && n <= m.len && rec - m.rec <= m.len - n) {
        if (which) *which = &m;
        return m.addr + (rec - m.rec);
      }
    return nullptr;
  }

  // Forgets the parts of mappings that [a, a + n) (replayer addresses) replaced or unmapped.
  void drop_range(uint8_t* a, uint64_t n) {
    std::vector<Mapping> out;
    for (const Mapping& m : maps) {
      uint8_t* e = m.addr + m.len;
      if (e <= a || m.addr >= a + n) {
        out.push_back(m);
        continue;
      }
      if (m.addr < a) {
        Mapping l = m;
        l.len = static_cast<uint64_t>(a - m.addr);
        out.push_back(l);
      }
      if (e > a + n) {
        Mapping r = m;
        const uint64_t cut = static_cast<uint64_t>(a + n - m.addr);
        r.rec += cut;
        r.addr += cut;
        r.len -= cut;
        out.push_back(r);
      }
    }
    maps.swap(out);
  }

  // Forgets the parts of mappings that stand for recorded [rec, rec + n), which the recording
  // has just replaced (one address holds one mapping), and unmaps them where they lie outside
  // the replayer's range [keep, keep + n) that now stands for it (keep null: all of them).
  // Without this a stale entry (host memory of a freed USERPTR BO, a mapping placed elsewhere)
  // would still translate the recorded addresses, and snapshots would be restored into memory
  // the GPU no longer reads.
  void drop_recorded(uint64_t rec, uint64_t n, uint8_t* keep) {
    std::vector<Mapping> out;
    std::vector<std::pair<uint8_t*, uint64_t>> gone;
    for (const Mapping& m : maps) {
      if (m.rec + m.len <= rec || m.rec >= rec + n) {
        out.push_back(m);
        continue;
      }
      const uint64_t lo = std::max(m.rec, rec);
      const uint64_t hi = std::min(m.rec + m.len, rec + n);
      if (m.rec < lo) {
        Mapping l = m;
        l.len = lo - m.rec;
        out.push_back(l);
      }
      if (m.rec + m.len > hi) {
        Mapping r = m;
        r.rec = hi;
        r.addr += hi - m.rec;
        r.len = m.rec + m.len - hi;
        out.push_back(r);
      }
      uint8_t* a = m.addr + (lo - m.rec);
      if (!keep || a + (hi - lo) <= keep || a >= keep + n) gone.emplace_back(a, hi - lo);
    }
    maps.swap(out);
    for (const auto& [a, len] : gone) sys.munmap(a, len);
  }

  uint64_t guard_addr() {
    if (!guard) {
      core::MapResult g = sys.mmap(nullptr, kGuardBytes, PROT_NONE,
                                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      guard = g.addr;
    }
    return reinterpret_cast<uint64_t>(guard);
  }

  // Anonymous memory standing for recorded host memory [rec, rec + n) (KFD USERPTR, NV OS
  // descriptors, KGSL user memory): at the same address when that is free.
  uint8_t* host_memory(uint64_t rec, uint64_t n) {
    if (uint8_t* p = cpu(rec, n)) return p;
    const uint64_t base = rec & ~(kPage - 1);
    const uint64_t len = page_up(rec + n) - base;
    if (len == 0 || len > (uint64_t{1} << 40)) return nullptr;
    const int prot = PROT_READ | PROT_WRITE;
    core::MapResult m = sys.mmap(reinterpret_cast<void*>(base), len, prot,
                                 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (m.addr && m.addr != reinterpret_cast<void*>(base)) {
      sys.munmap(m.addr, len);
      m.addr = nullptr;
    }
    if (!m.addr) m = sys.mmap(nullptr, len, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!m.addr) return nullptr;
    maps.push_back({base, len, static_cast<uint8_t*>(m.addr), prot, false, gpu_epoch});
    restored.erase(restored.lower_bound(base), restored.lower_bound(base + len));
    return static_cast<uint8_t*>(m.addr) + (rec - base);
  }

  uint64_t gpu_translate(std::string_view space, uint64_t v) const {
    auto it = gpu.find(space);
    if (it == gpu.end()) return v;
    for (const GpuRange& r : it->second)
      if (v >= r.rec && v - r.rec < r.len) return r.now + (v - r.rec);
    return v;
  }

  uint64_t offset_translate(uint32_t kind, uint64_t off, uint64_t len) const {
    if (kind == static_cast<uint32_t>(DriverKind::kKgsl)) {
      // KGSL maps an object at offset id << 12 (msm_kgsl.h, kgsl_mmap).
      auto it = handles.find("kgsl.mem");
      if (it != handles.end()) {
        auto h = it->second.find(off >> 12);
        if (h != it->second.end() && (off & (kPage - 1)) == 0) return h->second << 12;
      }
      return off;
    }
    if (auto it = offsets.find(off); it != offsets.end()) return it->second;
    // A mapping that starts below a recorded offset (the KFD doorbell slice holds the queues'
    // doorbell offsets): the new offset's slice, aligned as the recorded one was.
    for (const auto& [rec, now] : offsets)
      if (rec > off && rec - off < len) {
        if ((len & (len - 1)) == 0 && off % len == 0) return now & ~(len - 1);
        return now - (rec - off);
      }
    return off;
  }

  // ---- ioctls

  uint64_t translate_in(const IoctlDesc& d, const ArgField& f, uint64_t v,
                        std::span<const uint8_t> rec_arg) {
    if (f.kind == ArgKind::kFd) {
      auto it = fds.find(static_cast<int32_t>(static_cast<uint32_t>(v)));
      return it != fds.end() ? static_cast<uint32_t>(it->second->fd) : v;
    }
    ArgRole role = f.role;
    // KFD USERPTR: mmap_offset is the CPU address of the user pages on entry (kfd_ioctl.h).
    if (d.name == "AMDKFD_IOC_ALLOC_MEMORY_OF_GPU" && f.name == "mmap_offset") {
      const ArgField* flags = core::find_field(d, "flags");
      auto fv = flags ? core::read_field(*flags, rec_arg) : std::nullopt;
      role = fv && (*fv & KFD_IOC_ALLOC_MEM_FLAGS_USERPTR) ? ArgRole::kCpuAddr : ArgRole::kNone;
    }
    switch (role) {
      case ArgRole::kNone: break;
      case ArgRole::kHandle: {
        auto it = handles.find(f.space);
        if (it == handles.end()) return v;
        auto h = it->second.find(v);
        return h != it->second.end() ? h->second : v;
      }
      case ArgRole::kGpuAddr: return gpu_translate(f.space, v);
      case ArgRole::kMmapOffset: {
        auto it = offsets.find(v);
        return it != offsets.end() ? it->second : v;
      }
      case ArgRole::kCpuAddr: {
        if (v == 0) return v;
        // The size of the host memory: the row's size, len or limit (+1) field.
        uint64_t n = 1;
        for (std::string_view name : {"size", "len", "length"})
          if (const ArgField* s = core::find_field(d, name))
            if (auto sv = core::read_field(*s, rec_arg); sv && *sv) {
              n = *sv;
              break;
            }
        if (n == 1)
          for (std::string_view name : {"limit", "params.limit"})  // NVOS02 (NV_ESC_RM_ALLOC_MEMORY)
            if (const ArgField* s = core::find_field(d, name))
              if (auto sv = core::read_field(*s, rec_arg)) {
                n = *sv + 1;
                break;
              }
        uint8_t* p = host_memory(v, n);
        return p ? reinterpret_cast<uint64_t>(p) : guard_addr();
      }
    }
    if (f.kind == ArgKind::kPtr && v != 0) {
      if (uint8_t* p = cpu(v, 1)) return reinterpret_cast<uint64_t>(p);
      return guard_addr();
    }
    return v;
  }

  // Learns the out value of a role field: recorded `rec` -> replayed `now`.
  void learn(const ArgField& f, uint64_t rec, uint64_t now, std::span<const uint8_t> rec_struct,
             const IoctlDesc* d) {
    if (f.kind == ArgKind::kFd) {
      const int r = static_cast<int32_t>(static_cast<uint32_t>(rec));
      const int n = static_cast<int32_t>(static_cast<uint32_t>(now));
      if (r >= 0 && n >= 0) {
        auto t = std::make_shared<Target>(Target{n, 0, std::string(f.name)});
        fds[r] = t;
        all_targets.push_back(t);
      }
      return;
    }
    switch (f.role) {
      case ArgRole::kHandle:
        if (rec != 0 || now != 0) handles[std::string(f.space)][rec] = now;
        break;
      case ArgRole::kMmapOffset:
        if (rec != 0 || now != 0) offsets[rec] = now;
        break;
      case ArgRole::kGpuAddr: {
        if (rec == 0 && now == 0) break;
        uint64_t len = 1;
        for (std::string_view name : {"size", "va_len", "mmapsize", "len"}) {
          const ArgField* s = d ? core::find_field(*d, name) : nullptr;
          if (s)
            if (auto sv = core::read_field(*s, rec_struct); sv && *sv) {
              len = *sv;
              break;
            }
        }
        auto& v = gpu[std::string(f.space)];
        std::erase_if(v, [&](const GpuRange& g) { return g.rec == rec; });
        v.push_back({rec, len, now});
        break;
      }
      default: break;
    }
  }

  static bool has_role(const ArgField& f) {
    return f.role != ArgRole::kNone || f.kind == ArgKind::kFd;
  }

  std::string describe_ioctl(int32_t fd, uint32_t kind, const IoctlDesc* d, uint64_t request,
                             std::span<const uint8_t> before, std::span<const uint8_t> after,
                             int64_t rc) const {
    std::string s = "IOCTL fd=" + std::to_string(fd) + " ";
    if (d) {
      s += core::format_args(*d, before.data(), before.size(), core::Phase::kIn);
      const size_t n = std::min(before.size(), after.size());
      std::string out;
      if (!after.empty() && n > 0 && rc >= 0) out = core::format_args(*d, before.data(), after.data(), n);
      // Outputs after the result, without repeating the name: "= 0 => {fd=3}".
      if (const size_t b = out.find('{'); b != std::string::npos && out.size() > b + 2)
        return s + " = " + result_text(rc) + " => " + out.substr(b);
    } else {
      s += std::string(driver_kind_name(kind) ? driver_kind_name(kind) : "?") + " ioctl " +
           hex(request) + " (" + std::to_string(before.size()) + " bytes)";
    }
    return s + " = " + result_text(rc);
  }

  void diverge(const RecordView& v, std::string what, std::string recorded, std::string replayed) {
    Divergence d{stats.records - 1, v.offset, std::move(what), std::move(recorded),
                 std::move(replayed)};
    log(d.text());
    stats.divergences.push_back(std::move(d));
    if (!opts.keep_going) stats.stopped = true;
  }

  struct Nested {
    const core::BufferRef* ref;
    const IoctlBuffer* buf;
    uint8_t* copy;
    uint64_t bytes;
  };

  // Copies the captured buffers of `d`'s BufferRefs (tags tag_base + ref.tag) whose pointers
  // lie in the recorded container `rec`, translates the roles inside and re-points the pointer
  // fields of `out` (the container as it will be sent) at the copies.
  void place_buffers(const IoctlDesc& d, std::span<const uint8_t> rec, std::span<uint8_t> out,
                     uint32_t tag_base, const IoctlRecord& r,
                     std::vector<std::vector<uint8_t>>& copies, std::vector<Nested>& nested) {
    for (const core::BufferRef& ref : d.buffers) {
      const ArgField* pf = core::find_field(d, ref.ptr_field);
      if (!pf) continue;
      auto ptr = core::read_field(*pf, rec);
      if (!ptr || *ptr == 0) continue;
      const IoctlBuffer* buf = nullptr;
      for (const IoctlBuffer& b : r.buffers)
        if (b.tag == tag_base + ref.tag) buf = &b;
      if (!buf) {
        core::write_field(*pf, out, guard_addr());
        continue;
      }
      // The size the argument claims (count/size fields) is what the driver will touch: with no
      // sane size (past kMaxNestedBuffer, a crafted trace) the pointer gets the guard instead of
      // a copy smaller than the claim.
      const auto sp = core::buffer_span(d, ref, rec, nv_branch);
      if (!sp) {
        core::write_field(*pf, out, guard_addr());
        continue;
      }
      uint64_t bytes = std::max<uint64_t>(buf->before.size(), buf->after.size());
      bytes = std::max(bytes, sp->bytes);
      bytes = std::min<uint64_t>(bytes, core::kMaxNestedBuffer);
      copies.emplace_back(std::max<uint64_t>(bytes, 1), 0);
      uint8_t* c = copies.back().data();
      std::copy_n(buf->before.begin(), std::min<uint64_t>(buf->before.size(), bytes), c);
      // Roles inside each element.
      uint64_t esz = ref.elem_size;
      if (esz == 0 && !ref.elem_size_field.empty())
        if (const ArgField* ef = core::find_field(d, ref.elem_size_field))
          esz = core::read_field(*ef, rec).value_or(0);
      if (esz == 0) esz = bytes;
      if (!ref.elem_fields.empty() && esz > 0)
        for (uint64_t off = 0; off + esz <= bytes; off += esz) {
          std::span<uint8_t> el(c + off, esz);
          std::span<const uint8_t> rec_el = buf->before.size() >= off + esz
                                                ? buf->before.subspan(off, esz)
                                                : std::span<const uint8_t>();
          for (const ArgField& f : ref.elem_fields) {
            if (f.dir == core::ArgDir::kOut || !has_role(f)) continue;
            auto val = core::read_field(f, rec_el);
            if (val) core::write_field(f, el, translate_in(d, f, *val, rec_el));
          }
        }
      core::write_field(*pf, out, reinterpret_cast<uint64_t>(c));
      nested.push_back({&ref, buf, c, bytes});
    }
  }

  // KGSL_PROP_PWR_CONSTRAINT: the kgsl_device_constraint payload points once more (data, size
  // bytes), captured with tag 0x101; its context_id is a "kgsl.ctx" id.
  void kgsl_constraint(const IoctlDesc& d, std::span<const uint8_t> rec, const IoctlRecord& r,
                       std::vector<std::vector<uint8_t>>& copies, std::vector<Nested>& nested) {
    const ArgField* tf = core::find_field(d, "type");
    auto type = tf ? core::read_field(*tf, rec) : std::nullopt;
    if (!type || *type != qcom::KGSL_PROP_PWR_CONSTRAINT || nested.empty() ||
        nested[0].bytes < sizeof(qcom::kgsl_device_constraint))
      return;
    qcom::kgsl_device_constraint c;
    std::memcpy(&c, nested[0].copy, sizeof c);
    if (auto it = handles.find("kgsl.ctx"); it != handles.end())
      if (auto h = it->second.find(c.context_id); h != it->second.end())
        c.context_id = static_cast<uint32_t>(h->second);
    if (c.data != 0) {
      const IoctlBuffer* inner = nullptr;
      for (const IoctlBuffer& b : r.buffers)
        if (b.tag == 0x101) inner = &b;
      if (inner && !inner->before.empty()) {
        copies.emplace_back(inner->before.begin(), inner->before.end());
        c.data = reinterpret_cast<uint64_t>(copies.back().data());
      } else {
        c.data = guard_addr();
      }
    }
    std::memcpy(nested[0].copy, &c, sizeof c);
  }

  void do_ioctl(const RecordView& v, const IoctlRecord& r) {
    if (skip_fd(r.fd)) return;
    ++stats.ioctls;
    ++stats.replayed;
    auto it = fds.find(r.fd);
    const int fd = it != fds.end() ? it->second->fd : -1;
    const uint32_t kind = it != fds.end() ? it->second->kind : 0;
    const IoctlDesc* d = find_row(kind, r.request, nv_branch, r.arg_before.size());
    size_t size = std::max(r.arg_before.size(), r.arg_after.size());
    if (d) size = std::max<size_t>(size, d->size);
    // A UVM number names no size: the target driver copies its own branch's layout, which may be
    // larger than the recorded one; room for every known layout of the number.
    if (d && is_nvidia(kind) && d->encoding == core::IoctlEncoding::kRaw)
      for (const IoctlDesc& o : nv::nv_ioctls().rows)
        if (o.encoding == core::IoctlEncoding::kRaw && o.nr == d->nr) size = std::max<size_t>(size, o.size);
    // The target copies what the request encodes (_IOC_SIZE), whatever was captured.
    if (core::ioc_dir(r.request) != core::IoctlDir::kNone && (!d || d->encoding == core::IoctlEncoding::kIoc))
      size = std::max<size_t>(size, core::ioc_size(r.request));
    std::vector<uint8_t> arg(size, 0);
    std::copy(r.arg_before.begin(), r.arg_before.end(), arg.begin());
    std::span<const uint8_t> rec_before = r.arg_before;
    std::vector<std::vector<uint8_t>> copies;  // nested buffers, alive until the call returns
    std::vector<Nested> nested;
    if (d) {
      for (const ArgField& f : d->fields) {
        if (f.dir == core::ArgDir::kOut) continue;
        if (!has_role(f) && f.kind != ArgKind::kPtr) continue;
        auto val = core::read_field(f, rec_before);
        if (!val) continue;
        core::write_field(f, arg, translate_in(*d, f, *val, rec_before));
      }
      place_buffers(*d, rec_before, arg, 0, r, copies, nested);
      // RM control params: the command's own pointers one level down, captured by the sniffer
      // with tags 0x100 + the control row's tag (tools/sniff).
      if (d->name == "NV_ESC_RM_CONTROL" && !nested.empty() && nested[0].ref->tag == 1) {
        const ArgField* cf = core::find_field(*d, "cmd");
        const ArgField* sf = core::find_field(*d, "paramsSize");
        auto cmd = cf ? core::read_field(*cf, rec_before) : std::nullopt;
        auto psize = sf ? core::read_field(*sf, rec_before) : std::nullopt;
        const IoctlDesc* c = cmd && psize ? nv::find_sized(nv::rm_controls(), static_cast<uint32_t>(*cmd),
                                                           static_cast<uint32_t>(*psize))
                                          : nullptr;
        if (c) {
          const Nested outer = nested[0];
          place_buffers(*c, outer.buf->before, {outer.copy, outer.bytes}, 0x100, r, copies, nested);
        }
      }
      if (d->name == "IOCTL_KGSL_SETPROPERTY") kgsl_constraint(*d, rec_before, r, copies, nested);
      // KGSL submits by ioctl (also when the sniffer found no IB to record a SUBMISSION for).
      if (d->name == "IOCTL_KGSL_GPU_COMMAND") ++gpu_epoch;
    }
    const std::vector<uint8_t> sent = arg;
    const int64_t rc = sys.ioctl(fd, r.request, size ? arg.data() : nullptr);
    const int64_t want = r.result < 0 ? -static_cast<int64_t>(r.err ? r.err : EIO) : r.result;
    auto both = [&] {
      return std::make_pair(
          describe_ioctl(r.fd, kind, d, r.request, r.arg_before, r.arg_after, want),
          describe_ioctl(fd, kind, d, r.request, sent, arg, rc));
    };
    if (rc != want) {
      auto [a, b] = both();
      diverge(v, "result " + result_text(want) + " (recorded) vs " + result_text(rc) + " (replayed)",
              a, b);
      return;
    }
    if (rc < 0 || !d) return;
    if (d->name == "AMDKFD_IOC_CREATE_QUEUE" || d->name == "AMDKFD_IOC_DESTROY_QUEUE")
      track_kfd_queue(*d, arg);
    if (is_nvidia(kind)) track_nv(*d, r);
    std::span<const uint8_t> rec_after = r.arg_after;
    for (const ArgField& f : d->fields) {
      if (f.dir == core::ArgDir::kIn) continue;
      auto rv = core::read_field(f, rec_after);
      auto nv = core::read_field(f, arg);
      if (!rv || !nv) continue;
      // The driver's in-band status (NV RM) is a return value too.
      // NV RM: "status" (NVOS21/NVOS54...), "params.status" (the *_with_fd escapes), "rmStatus" (UVM).
      const bool status_field = f.name == "status" || f.name == "rmStatus" || f.name.ends_with(".status");
      if (status_field && f.kind == ArgKind::kEnum && *rv != *nv) {
        auto [a, b] = both();
        diverge(v, std::string(f.name) + " " + hex(*rv) + " (recorded) vs " + hex(*nv) + " (replayed)",
                a, b);
        return;
      }
      if (has_role(f)) learn(f, *rv, *nv, rec_after, d);
    }
    for (const Nested& n : nested) {
      if (n.ref->dir == core::ArgDir::kIn || n.ref->elem_fields.empty()) continue;
      uint64_t esz = n.ref->elem_size ? n.ref->elem_size : n.bytes;
      for (uint64_t off = 0; esz && off + esz <= n.bytes && off + esz <= n.buf->after.size();
           off += esz) {
        std::span<const uint8_t> rec_el = n.buf->after.subspan(off, esz);
        std::span<const uint8_t> now_el(n.copy + off, esz);
        for (const ArgField& f : n.ref->elem_fields) {
          if (f.dir == core::ArgDir::kIn || !has_role(f)) continue;
          auto rv = core::read_field(f, rec_el);
          auto nv = core::read_field(f, now_el);
          if (rv && nv) learn(f, *rv, *nv, rec_el, nullptr);
        }
      }
    }
  }

  // ---- the other records

  void do_open(const RecordView& v, const OpenRecord& r) {
    const std::string path(r.path);
    uint32_t kind = r.driver ? r.driver : static_cast<uint32_t>(guess_driver(path));
    if (!wanted(kind)) {
      ++stats.skipped;
      if (r.result >= 0) fds[r.result] = std::make_shared<Target>(Target{-1, kind, path, true});
      return;
    }
    ++stats.opens;
    ++stats.replayed;
    const int fd = sys.open(path.c_str(), static_cast<int>(r.flags), r.mode);
    const int want = r.result;
    if ((fd >= 0) != (want >= 0) || (fd < 0 && fd != want)) {
      diverge(v, "open " + result_text(want) + " (recorded) vs " + result_text(fd) + " (replayed)",
              "OPEN \"" + path + "\" = " + result_text(want),
              "OPEN \"" + path + "\" = " + result_text(fd));
      if (fd >= 0) sys.close(fd);
      return;
    }
    if (fd < 0) return;
    auto t = std::make_shared<Target>(Target{fd, kind, path});
    fds[want] = t;
    all_targets.push_back(t);
  }

  void close_target(const std::shared_ptr<Target>& t) {
    if (t->fd >= 0) sys.close(t->fd);
    t->fd = -1;
  }

  void do_close(const RecordView& v, const CloseRecord& r) {
    if (skip_fd(r.fd)) {
      fds.erase(r.fd);
      return;
    }
    ++stats.replayed;
    auto it = fds.find(r.fd);
    if (it == fds.end()) {
      if (r.result == 0)
        diverge(v, "close of an fd the replay does not have",
                "CLOSE fd=" + std::to_string(r.fd) + " = 0", "(no such fd)");
      return;
    }
    std::shared_ptr<Target> t = it->second;
    fds.erase(it);
    if (t.use_count() <= 2) close_target(t);  // this reference + all_targets: the last alias
  }

  void do_dup(const RecordView& v, const DupRecord& r) {
    if (skip_fd(r.old_fd)) {
      if (r.new_fd >= 0) fds[r.new_fd] = fds[r.old_fd];
      return;
    }
    ++stats.replayed;
    if (r.new_fd < 0) return;
    auto it = fds.find(r.old_fd);
    if (it == fds.end()) {
      diverge(v, "dup of an fd the replay does not have",
              "DUP " + std::to_string(r.old_fd) + " -> " + std::to_string(r.new_fd), "(no such fd)");
      return;
    }
    fds[r.new_fd] = it->second;
  }

  void do_mmap(const RecordView& v, const MmapRecord& r) {
    if (skip_fd(r.fd)) return;
    auto it = fds.find(r.fd);
    if (r.fd < 0 || it == fds.end() || (r.flags & MAP_ANONYMOUS)) {
      ++stats.skipped;
      log("record " + std::to_string(stats.records - 1) + ": MMAP of fd " + std::to_string(r.fd) +
          " skipped (not a device fd of this replay)");
      return;
    }
    ++stats.mmaps;
    ++stats.replayed;
    const Target& t = *it->second;
    const bool rec_ok = r.result != kMapFailed;
    const uint64_t len = r.len;
    const auto off = static_cast<int64_t>(offset_translate(t.kind, static_cast<uint64_t>(r.offset), len));
    const int flags = r.flags & ~MAP_FIXED & ~MAP_FIXED_NOREPLACE;
    void* want = reinterpret_cast<void*>(rec_ok ? r.result : r.addr);
    core::MapResult m{nullptr, EINVAL};
    if (len > 0) {
      if (want) {
        // MAP_FIXED in the recording replaced whatever stood at that range there (an earlier
        // mapping, or an anonymous reservation the trace does not show): what stands for it
        // here goes, wherever it lies, so that the address is free again when it was ours.
        if ((r.flags & MAP_FIXED) && rec_ok) drop_recorded(r.result, page_up(len), nullptr);
        m = sys.mmap(want, len, r.prot, flags | MAP_FIXED_NOREPLACE, t.fd, off);
        if (m.addr && m.addr != want) {
          sys.munmap(m.addr, len);
          m = {nullptr, EEXIST};
        }
      }
      if (!m.addr && (!want || m.err == EEXIST) && rec_ok) m = sys.mmap(nullptr, len, r.prot, flags, t.fd, off);
    }
    auto text = [&](uint64_t addr, int64_t o, uint64_t res, int err) {
      return "MMAP addr=" + hex(addr) + " len=" + hex(len) + " prot=" + std::to_string(r.prot) +
             " flags=" + hex(static_cast<uint32_t>(r.flags)) + " fd=" + std::to_string(r.fd) +
             " offset=" + hex(static_cast<uint64_t>(o)) + " = " +
             (res != kMapFailed ? hex(res) : "MAP_FAILED " + std::string(core::errno_name(err)));
    };
    const uint64_t got = m.addr ? reinterpret_cast<uint64_t>(m.addr) : kMapFailed;
    if ((m.addr != nullptr) != rec_ok || (!rec_ok && m.err != r.err)) {
      diverge(v, std::string("mmap ") + (rec_ok ? "succeeded" : "failed") + " (recorded) but " +
                     (m.addr ? "succeeded" : "failed with " + std::string(core::errno_name(m.err))) +
                     " (replayed)",
              text(r.addr, r.offset, r.result, r.err), text(reinterpret_cast<uint64_t>(want), off, got, m.err));
      if (m.addr) sys.munmap(m.addr, len);
      return;
    }
    if (!m.addr) return;
    auto* a = static_cast<uint8_t*>(m.addr);
    drop_range(a, page_up(len));
    drop_recorded(r.result, page_up(len), a);
    maps.push_back({r.result, page_up(len), a, r.prot, true, gpu_epoch});
    restored.erase(restored.lower_bound(r.result), restored.lower_bound(r.result + page_up(len)));
    if (is_nvidia(t.kind)) track_nv_mmap(r);
  }

  void do_munmap(const RecordView& v, const MunmapRecord& r) {
    const Mapping* m = nullptr;
    uint8_t* a = cpu(r.addr, std::max<uint64_t>(r.len, 1), &m);
    if (!a || r.result != 0) {
      ++stats.skipped;
      return;
    }
    ++stats.munmaps;
    ++stats.replayed;
    const int rc = sys.munmap(a, r.len);
    if (rc != 0) {
      diverge(v, "munmap failed", "MUNMAP " + hex(r.addr) + " len " + hex(r.len) + " = 0",
              "MUNMAP " + hex(reinterpret_cast<uint64_t>(a)) + " = " + result_text(rc));
      return;
    }
    drop_range(a, page_up(r.len));
  }

  // ---- KFD queues: the traced program waited for its work in user mode (signal memory), which
  // leaves no record; so after each doorbell the replay waits until every KFD queue has read
  // what was written to it (read pointer == write pointer: dwords for PM4, bytes for SDMA,
  // packets for AQL, as KFD's rptr/wptr words are), before the next record frees or reuses
  // anything the GPU still reads.
  struct KfdQueue {
    uint64_t id = 0;
    uint64_t rptr = 0, wptr = 0;  // GPU VA = CPU address in the traced process (KFD)
  };
  std::vector<KfdQueue> kfd_queues;

  void track_kfd_queue(const IoctlDesc& d, std::span<const uint8_t> arg) {
    auto field = [&](std::string_view name) -> uint64_t {
      const ArgField* f = core::find_field(d, name);
      return f ? core::read_field(*f, arg).value_or(0) : 0;
    };
    if (d.name == "AMDKFD_IOC_DESTROY_QUEUE") {
      const uint64_t id = field("queue_id");
      std::erase_if(kfd_queues, [&](const KfdQueue& q) { return q.id == id; });
      return;
    }
    kfd_queues.push_back({field("queue_id"), field("read_pointer_address"),
                          field("write_pointer_address")});
  }

  // true when drained (or nothing to wait for); false after `check_wait`.
  bool drain_kfd_queues(std::string& stuck) {
    const auto deadline = std::chrono::steady_clock::now() + opts.check_wait;
    for (;;) {
      bool idle = true;
      for (const KfdQueue& q : kfd_queues) {
        const Mapping* mr = nullptr;
        const Mapping* mw = nullptr;
        const uint8_t* r = cpu(q.rptr, 8, &mr);
        const uint8_t* w = cpu(q.wptr, 8, &mw);
        if (!r || !w) continue;  // not CPU-visible here: nothing to compare
        const uint64_t rv = *reinterpret_cast<const volatile uint64_t*>(r);
        const uint64_t wv = *reinterpret_cast<const volatile uint64_t*>(w);
        if (rv != wv && static_cast<uint32_t>(rv) != static_cast<uint32_t>(wv)) {
          idle = false;
          stuck = "KFD queue " + std::to_string(q.id) + " read pointer " + hex(rv) +
                  " has not reached its write pointer " + hex(wv);
        }
      }
      if (idle) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  // ---- NVIDIA channels: the same as the KFD queues. A channel has consumed its work when GP_GET
  // in its USERD (hUserdMemory + userdOffset of the channel's alloc params) reaches GP_PUT; the
  // replay finds USERD through the CPU mapping of hUserdMemory (NV_ESC_RM_MAP_MEMORY names the
  // memory and the fd that the next mmap of that fd maps it through).
  struct NvChannel {
    uint64_t handle = 0;     // recorded
    uint64_t userd_mem = 0;  // recorded hUserdMemory[0]
    uint64_t userd_offset = 0;
  };
  std::vector<NvChannel> nv_channels;
  std::map<int32_t, std::pair<uint64_t, uint64_t>> nv_pending_map;  // recorded fd -> (hMemory, offset)
  std::map<uint64_t, uint64_t> nv_mem_cpu;  // recorded hMemory -> recorded CPU address of offset 0
  // Recorded OS descriptor handle -> its recorded host memory (page-rounded): freed with the
  // descriptor, as the sniffer stops tracking it then (the program may reuse the addresses for
  // another descriptor that overlaps it only in part).
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> nv_os_mem;

  // After a successful NV call: what the NV waits and row choices need.
  void track_nv(const IoctlDesc& d, const IoctlRecord& r) {
    auto field = [&](std::string_view name, std::span<const uint8_t> arg) -> uint64_t {
      const ArgField* f = core::find_field(d, name);
      return f ? core::read_field(*f, arg).value_or(0) : 0;
    };
    if (d.name == "NV_ESC_CHECK_VERSION_STR") {
      nv::nv_ioctl_rm_api_version_t ver{};
      if (r.arg_after.size() < sizeof ver) return;
      std::memcpy(&ver, r.arg_after.data(), sizeof ver);
      uint32_t major = 0;
      for (size_t i = 0; i < sizeof ver.versionString && ver.versionString[i] >= '0' &&
                         ver.versionString[i] <= '9' && major < 10000;
           ++i)
        major = major * 10 + static_cast<uint32_t>(ver.versionString[i] - '0');
      if (major >= 400 && major < 2000) nv_branch = major;
    } else if (d.name == "NV_ESC_RM_ALLOC") {
      const uint32_t cls = static_cast<uint32_t>(field("hClass", r.arg_before));
      if (nv::rm_class_name(cls).find("CHANNEL_GPFIFO") == std::string_view::npos) return;
      for (const IoctlBuffer& b : r.buffers) {
        using P = nv::NV_CHANNEL_ALLOC_PARAMS;
        if (b.tag != 1 || b.before.size() < sizeof(P)) continue;
        P p;
        std::memcpy(&p, b.before.data(), sizeof p);
        nv_channels.push_back({field("hObjectNew", r.arg_after), p.hUserdMemory[0], p.userdOffset[0]});
      }
    } else if (d.name == "NV_ESC_RM_ALLOC_MEMORY") {
      const uint64_t mem = field("params.pMemory", r.arg_before);
      const uint64_t base = mem & ~(kPage - 1);
      if (mem) nv_os_mem[field("params.hObjectNew", r.arg_after)] = {
          base, page_up(mem + field("params.limit", r.arg_before) + 1) - base};
    } else if (d.name == "NV_ESC_RM_FREE") {
      const uint64_t h = field("hObjectOld", r.arg_before);
      std::erase_if(nv_channels, [&](const NvChannel& c) { return c.handle == h; });
      if (auto it = nv_os_mem.find(h); it != nv_os_mem.end()) {
        drop_recorded(it->second.first, it->second.second, nullptr);
        nv_os_mem.erase(it);
      }
    } else if (d.name == "NV_ESC_RM_MAP_MEMORY") {
      nv_pending_map[static_cast<int32_t>(field("fd", r.arg_before))] = {
          field("params.hMemory", r.arg_before), field("params.offset", r.arg_before)};
    }
  }

  // The GP_GET words (replayer pointer, current value) of the channels whose USERD lies in
  // recorded [rec, rec + n). GP_GET is the GPU's (read-only for the CPU): a restore snapshot holds
  // whatever the recorded GPU had reached when it was taken (it may fetch before the doorbell),
  // and copying that into the replay's USERD would make its channel skip entries it never ran.
  std::vector<std::pair<volatile uint32_t*, uint32_t>> nv_gp_gets(uint64_t rec, uint64_t n) {
    std::vector<std::pair<volatile uint32_t*, uint32_t>> out;
    for (const NvChannel& c : nv_channels) {
      auto m = nv_mem_cpu.find(c.userd_mem);
      if (m == nv_mem_cpu.end()) continue;
      const uint64_t at = m->second + c.userd_offset + nv::kUserdGpGetOffset;
      if (at < rec || at + 4 > rec + n) continue;
      if (uint8_t* p = cpu(at, 4)) {
        auto* w = reinterpret_cast<volatile uint32_t*>(p);
        out.emplace_back(w, *w);
      }
    }
    return out;
  }

  // A recorded mmap of an fd that NV_ESC_RM_MAP_MEMORY named.
  void track_nv_mmap(const MmapRecord& r) {
    auto it = nv_pending_map.find(r.fd);
    if (it == nv_pending_map.end()) return;
    nv_mem_cpu[it->second.first] = r.result - it->second.second;
    nv_pending_map.erase(it);
  }

  // true when every channel with a CPU-visible USERD has GP_GET == GP_PUT; false after
  // `check_wait`.
  bool drain_nv_channels(std::string& stuck) {
    const auto deadline = std::chrono::steady_clock::now() + opts.check_wait;
    for (;;) {
      bool idle = true;
      for (const NvChannel& c : nv_channels) {
        auto m = nv_mem_cpu.find(c.userd_mem);
        if (m == nv_mem_cpu.end()) continue;
        const uint8_t* u = cpu(m->second + c.userd_offset, nv::kUserdBytes);
        if (!u) continue;  // not CPU-visible here: nothing to compare
        const uint32_t get = *reinterpret_cast<const volatile uint32_t*>(u + nv::kUserdGpGetOffset);
        const uint32_t put = *reinterpret_cast<const volatile uint32_t*>(u + nv::kUserdGpPutOffset);
        if (get != put) {
          idle = false;
          stuck = "NV channel " + hex(c.handle) + " GP_GET " + std::to_string(get) +
                  " has not reached GP_PUT " + std::to_string(put);
        }
      }
      if (idle) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  void do_doorbell(const RecordView& v, const DoorbellRecord& r) {
    ++stats.replayed;
    const Mapping* m = nullptr;
    uint8_t* p = (r.width == 4 || r.width == 8) ? cpu(r.address, r.width, &m) : nullptr;
    if (!p || !(m->prot & PROT_WRITE) || reinterpret_cast<uintptr_t>(p) % r.width) {
      diverge(v, "doorbell address is not in a writable mapping of this replay",
              "DOORBELL " + hex(r.address) + " = " + hex(r.value) + " (" + std::to_string(r.width) + " bytes)",
              p ? "(mapping not writable or misaligned)" : "(no mapping)");
      return;
    }
    ++stats.doorbells;
    // Everything written before (restored snapshots) is visible before the doorbell.
    std::atomic_thread_fence(std::memory_order_release);
    if (r.width == 8)
      *reinterpret_cast<volatile uint64_t*>(p) = r.value;
    else
      *reinterpret_cast<volatile uint32_t*>(p) = static_cast<uint32_t>(r.value);
    std::string stuck;
    if (!drain_kfd_queues(stuck) || !drain_nv_channels(stuck))
      diverge(v, "the GPU did not finish the work of this doorbell: " + stuck,
              "DOORBELL " + hex(r.address) + " = " + hex(r.value),
              "(still running after " + std::to_string(opts.check_wait.count()) + " ms)");
  }

  // Applies `fn(dst, src, n)` to each piece of recorded [addr, addr + data.size()); false when a
  // piece is not mapped (or lacks `prot`).
  template <typename Fn>
  bool each_piece(uint64_t addr, std::span<const uint8_t> data, int prot, Fn&& fn) {
    uint64_t done = 0;
    while (done < data.size()) {
      const Mapping* m = nullptr;
      uint8_t* p = cpu(addr + done, 1, &m);
      if (!p || (m->prot & prot) != prot) return false;
      const uint64_t room = m->len - (addr + done - m->rec);
      const uint64_t n = std::min<uint64_t>(room, data.size() - done);
      if (!fn(p, data.data() + done, n, done)) return true;
      done += n;
    }
    return true;
  }

  // Whether GPU work could have written recorded page `page` since the replay last set it (a
  // restore snapshot, else the mapping that holds it was made).
  bool gpu_may_have_written(uint64_t page) const {
    if (auto it = restored.find(page); it != restored.end()) return gpu_epoch > it->second;
    const Mapping* m = nullptr;
    if (!cpu(page, 1, &m)) return true;
    return gpu_epoch > m->epoch;
  }

  void do_snapshot(const RecordView& v, const MemorySnapshotRecord& r) {
    // A corrupt trace: the range (rounded out to pages) wraps the address space.
    if (r.address + r.data.size() < r.address || r.address + r.data.size() > ~0ull - kPage) {
      diverge(v, "snapshot range wraps the address space (corrupt trace)",
              "MEMORY_SNAPSHOT " + hex(r.address) + " (" + std::to_string(r.data.size()) + " bytes)",
              "(not replayed)");
      return;
    }
    // KFD and NV place device memory at the GPU address in the CPU address space too, so a GPU
    // snapshot is looked up like a CPU one.
    if (r.reason == static_cast<uint32_t>(SnapshotReason::kRestore)) {
      const uint64_t first = r.address & ~(kPage - 1);
      const uint64_t pages = (r.address - first + r.data.size() + kPage - 1) / kPage;
      for (uint64_t i = 0; i < pages; ++i) restored[first + i * kPage] = gpu_epoch;
      const auto gp_gets = nv_gp_gets(r.address, r.data.size());
      bool ok = each_piece(r.address, r.data, PROT_WRITE, [](uint8_t* dst, const uint8_t* src, uint64_t n, uint64_t) {
        std::memcpy(dst, src, n);
        return true;
      });
      for (const auto& [p, get] : gp_gets) *p = get;
      if (!ok) {
        ++stats.skipped;
        log("record " + std::to_string(stats.records - 1) + ": snapshot of " + hex(r.address) +
            " not restored (not in a writable mapping of this replay)");
        return;
      }
      ++stats.snapshots_restored;
      ++stats.replayed;
      return;
    }
    if (r.reason != static_cast<uint32_t>(SnapshotReason::kCheck)) {
      ++stats.skipped;
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + opts.check_wait;
    for (;;) {
      uint64_t bad = kMapFailed;
      uint8_t got = 0;
      uint64_t cpu_only = 0;  // differing pages no GPU work could have written
      bool mapped = each_piece(r.address, r.data, PROT_READ,
                               [&](uint8_t* dst, const uint8_t* src, uint64_t n, uint64_t at) {
                                 if (std::memcmp(dst, src, n) == 0) return true;
                                 for (uint64_t i = 0; i < n;) {
                                   const uint64_t addr = r.address + at + i;
                                   const uint64_t chunk = std::min(n - i, kPage - (addr & (kPage - 1)));
                                   if (std::memcmp(dst + i, src + i, chunk) != 0) {
                                     if (!gpu_may_have_written(addr & ~(kPage - 1))) {
                                       ++cpu_only;
                                     } else {
                                       for (uint64_t j = i; j < i + chunk; ++j)
                                         if (dst[j] != src[j]) {
                                           bad = at + j;
                                           got = dst[j];
                                           break;
                                         }
                                       return false;
                                     }
                                   }
                                   i += chunk;
                                 }
                                 return true;
                               });
      if (!mapped) {
        ++stats.skipped;
        log("record " + std::to_string(stats.records - 1) + ": snapshot of " + hex(r.address) +
            " not checked (not in a readable mapping of this replay)");
        return;
      }
      if (bad == kMapFailed) {
        ++stats.snapshots_checked;
        ++stats.replayed;
        if (cpu_only) {
          stats.check_pages_cpu_only += cpu_only;
          log("record " + std::to_string(stats.records - 1) + ": " + std::to_string(cpu_only) +
              " page(s) of the check snapshot of " + hex(r.address) +
              " differ, but no GPU work came after the replay last set them: what the program's "
              "CPU wrote there is not in the trace (not counted)");
        }
        return;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ++stats.snapshots_checked;
        ++stats.replayed;
        diverge(v,
                "memory differs at " + hex(r.address + bad) + " (byte " + std::to_string(bad) +
                    " of " + std::to_string(r.data.size()) + "): recorded " + hex(r.data[bad]) +
                    ", replayed " + hex(got),
                "MEMORY_SNAPSHOT check " + hex(r.address) + " (" + std::to_string(r.data.size()) + " bytes)",
                "memory after " + std::to_string(opts.check_wait.count()) + " ms");
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void release() {
    // Fds first: the driver stops its queues before the memory they read goes away.
    for (auto& t : all_targets) close_target(t);
    all_targets.clear();
    fds.clear();
    for (auto it = maps.rbegin(); it != maps.rend(); ++it) sys.munmap(it->addr, it->len);
    maps.clear();
    if (guard) sys.munmap(guard, kGuardBytes);
    guard = nullptr;
  }
};

std::string Divergence::text() const {
  return "divergence at record " + std::to_string(index) + " (offset " + hex(offset) + "): " + what +
         "\n  recorded: " + recorded + "\n  replayed: " + replayed;
}

std::string ReplayStats::summary() const {
  std::string s = "replayed " + std::to_string(replayed) + " records (" + std::to_string(ioctls) +
                  " ioctls, " + std::to_string(mmaps) + " mmaps, " + std::to_string(doorbells) +
                  " doorbells, " + std::to_string(snapshots_restored) + " snapshots restored, " +
                  std::to_string(snapshots_checked) + " checked)";
  if (divergences.empty()) return s + ": identical";
  return s + ": " + std::to_string(divergences.size()) + " divergence" +
         (divergences.size() == 1 ? "" : "s") + (stopped ? " (stopped at the first)" : "");
}

Replayer::Replayer(core::Sys& target, ReplayOptions options)
    : s_(std::make_unique<State>(target, std::move(options))) {}

Replayer::~Replayer() { finish(); }

void Replayer::finish() {
  if (!s_ || s_->finished) return;
  s_->release();
  s_->finished = true;
}

core::Result<ReplayStats> Replayer::run(TraceReader& reader) {
  State& s = *s_;
  if (s.finished) return Error::invalid("replay", "the replayer has finished");
  for (;;) {
    auto next = reader.next();
    if (!next) return std::move(next).error();
    if (!next->has_value()) break;
    const RecordView& v = **next;
    ++s.stats.records;
    auto rec = decode(v);
    if (!rec) return std::move(rec).error();
    std::visit(
        [&](const auto& r) {
          using T = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<T, OpenRecord>) s.do_open(v, r);
          else if constexpr (std::is_same_v<T, CloseRecord>) s.do_close(v, r);
          else if constexpr (std::is_same_v<T, DupRecord>) s.do_dup(v, r);
          else if constexpr (std::is_same_v<T, IoctlRecord>) s.do_ioctl(v, r);
          else if constexpr (std::is_same_v<T, MmapRecord>) s.do_mmap(v, r);
          else if constexpr (std::is_same_v<T, MunmapRecord>) s.do_munmap(v, r);
          else if constexpr (std::is_same_v<T, DoorbellRecord>) {
            ++s.gpu_epoch;
            s.do_doorbell(v, r);
          } else if constexpr (std::is_same_v<T, SubmissionRecord>) {
            ++s.gpu_epoch;
            ++s.stats.submissions;
          }
          else if constexpr (std::is_same_v<T, MemorySnapshotRecord>) s.do_snapshot(v, r);
          else if constexpr (std::is_same_v<T, EndRecord>) (void)r;
          else ++s.stats.skipped;  // a record type this reader does not know
        },
        *rec);
    if (s.stats.stopped) break;
  }
  s.stats.truncated = reader.truncated();
  s.stats.ended = reader.ended();
  return s.stats;
}

core::Result<DriverKind> main_driver(const std::string& path) {
  RAWGPU_ASSIGN(TraceReader reader, TraceReader::open_file(path));
  std::map<int32_t, uint32_t> kinds;  // fd -> driver
  std::map<uint32_t, uint64_t> ioctls;
  uint32_t first = 0;
  for (;;) {
    RAWGPU_ASSIGN(std::optional<RecordView> v, reader.next());
    if (!v) break;
    if (v->type == static_cast<uint32_t>(RecordType::kOpen)) {
      RAWGPU_ASSIGN(Record r, decode(*v));
      const auto& o = std::get<OpenRecord>(r);
      const uint32_t k = o.driver ? o.driver : static_cast<uint32_t>(guess_driver(o.path));
      if (o.result >= 0) kinds[o.result] = k;
      if (first == 0 && k != 0 && driver_kind_name(k)) first = k;
    } else if (v->type == static_cast<uint32_t>(RecordType::kIoctl)) {
      RAWGPU_ASSIGN(Record r, decode(*v));
      auto it = kinds.find(std::get<IoctlRecord>(r).fd);
      if (it != kinds.end() && it->second != 0 && driver_kind_name(it->second)) ++ioctls[it->second];
    }
  }
  uint32_t best = first;
  uint64_t most = 0;
  for (const auto& [k, n] : ioctls)
    if (n > most) {
      most = n;
      best = k;
    }
  return static_cast<DriverKind>(best);
}

std::string default_sim_device(DriverKind kind) {
  switch (kind) {
    case DriverKind::kKfd:
    case DriverKind::kDriRender: return "sim-amd:0";
    case DriverKind::kNvidiaCtl:
    case DriverKind::kNvidiaGpu:
    case DriverKind::kNvidiaUvm: return "sim-nv:0";
    case DriverKind::kKgsl: return "sim-qcom:0";
    case DriverKind::kOther: break;
  }
  return {};
}

core::Result<ReplayStats> replay_file(const std::string& path, std::string_view device,
                                      const ReplayOptions& options) {
  RAWGPU_ASSIGN(TraceReader reader, TraceReader::open_file(path));
  std::string name(device);
  if (name.empty()) {
    RAWGPU_ASSIGN(DriverKind k, main_driver(path));
    name = default_sim_device(k);
    if (name.empty())
      return Error::invalid("replay " + path,
                            "the trace opens no known driver; name the target with --device");
  }
  RAWGPU_ASSIGN(core::DeviceName parsed, core::parse_device_name(name));
  devices::SimMachine machine;
  core::Sys* sys = &core::host_sys();
  if (parsed.simulated) {
    RAWGPU_ASSIGN(machine, devices::open_sim_machine(name));
    sys = machine.sys;
  }
  ReplayOptions o = options;
  if (o.drivers.empty()) {
    switch (parsed.vendor) {
      case core::Vendor::kAmd: o.drivers = {DriverKind::kKfd, DriverKind::kDriRender}; break;
      case core::Vendor::kNvidia:
        o.drivers = {DriverKind::kNvidiaCtl, DriverKind::kNvidiaGpu, DriverKind::kNvidiaUvm};
        break;
      case core::Vendor::kQualcomm: o.drivers = {DriverKind::kKgsl}; break;
    }
    // A trace of another vendor's driver would replay only its probe opens: refuse it.
    RAWGPU_ASSIGN(DriverKind k, main_driver(path));
    if (k != DriverKind::kOther && driver_kind_name(static_cast<uint32_t>(k)) &&
        std::find(o.drivers.begin(), o.drivers.end(), k) == o.drivers.end())
      return Error::invalid("replay " + path,
                            "the trace drives " + std::string(driver_kind_name(static_cast<uint32_t>(k))) +
                                ", which " + name + " does not have (replay it on " +
                                default_sim_device(k) + ")");
  }
  Replayer replayer(*sys, o);
  auto stats = replayer.run(reader);
  replayer.finish();
  return stats;
}

}  // namespace rawgpu::trace

// The simulated Adreno: the virtual /dev/kgsl-3d0 (validation and errno of shared/abi/qcom-kgsl.md
// §1) and its command processor (§1.8, §2, §3), driven only through the qcom_kgsl/ioctl.h
// wrappers on Machine::sys() and streams encoded with qcom_kgsl/packets.h and a6xx.h.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "qcom_kgsl/a6xx.h"
#include "qcom_kgsl/ioctl.h"
#include "qcom_kgsl/loader.h"
#include "qcom_kgsl/packets.h"
#include "sim/qcom/machine.h"

namespace rawgpu::sim::qcom {
namespace {

namespace q = rawgpu::qcom;
namespace a6 = rawgpu::qcom::a6xx;
using namespace rawgpu::qcom;  // KGSL ABI names, verbatim

int err_of(const core::Status& s) { return s.ok() ? 0 : s.error().err(); }
template <class T>
int err_of(const core::Result<T>& r) {
  return r.ok() ? 0 : r.error().err();
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Buf {
  q::GpuObject obj;
  uint8_t* cpu = nullptr;
  uint64_t va = 0;
};

class QcomSim : public ::testing::Test {
 protected:
  void SetUp() override { open_machine({}); }
  void open_machine(MachineOptions o) {
    if (o.detach_wait_ms == 30000) o.detach_wait_ms = 200;
    auto m = Machine::create(o);
    ASSERT_TRUE(m.ok()) << m.error().message();
    m_ = std::move(*m);
    fd_ = sys().open("/dev/kgsl-3d0", O_RDWR, 0);
    ASSERT_GE(fd_, 0);
  }
  SimSys& sys() { return m_->sys(); }
  uint32_t ctx(uint32_t flags = q::compute_context_flags()) {
    auto c = q::drawctxt_create(sys(), fd_, flags);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
    return c.ok() ? c->id : 0;
  }
  // A mapped buffer: SVM (GPU VA = CPU VA) or not.
  Buf buf(uint64_t size, bool svm = true) {
    Buf b;
    auto o = q::gpuobj_alloc(sys(), fd_, size, q::buffer_flags(KGSL_CACHEMODE_WRITECOMBINE, svm));
    EXPECT_TRUE(o.ok()) << (o.ok() ? "" : o.error().message());
    if (!o.ok()) return b;
    b.obj = *o;
    auto p = q::gpuobj_mmap(sys(), fd_, o->id, o->mmapsize);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message());
    b.cpu = static_cast<uint8_t*>(*p);
    auto info = q::gpuobj_info(sys(), fd_, o->id);
    EXPECT_TRUE(info.ok());
    b.va = info->gpuaddr;
    return b;
  }
  // Copies `dw` into an IB buffer and submits it on `c`.
  core::Result<uint32_t> submit(uint32_t c, std::span<const uint32_t> dw) {
    Buf& ib = ibs_.emplace_back(buf(std::max<uint64_t>(4096, dw.size() * 4)));
    std::memcpy(ib.cpu, dw.data(), dw.size() * 4);
    const kgsl_command_object cmd = q::ib(ib.va, dw.size() * 4);
    return q::gpu_command(sys(), fd_, c, std::span(&cmd, 1));
  }
  bool log_has(const std::string& s) {
    for (const std::string& l : m_->kernel_log())
      if (l.find(s) != std::string::npos) return true;
    return false;
  }
  std::unique_ptr<Machine> m_;
  int fd_ = -1;
  std::deque<Buf> ibs_;
};

// ---- machine and properties ------------------------------------------------------------------

TEST(QcomMachine, ProfilesAndSysfs) {
  auto bad = Machine::create({.profiles = {"a999"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("a630, a660"), std::string::npos);
  auto m = Machine::create({.profiles = {"a630", "A660"}});
  ASSERT_TRUE(m.ok());
  SimSys& sys = (*m)->sys();
  auto model = sys.read_file("/sys/class/kgsl/kgsl-3d1/gpu_model", 64);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(*model, "Adreno660v2\n");
  const int fd1 = sys.open("/dev/kgsl-3d1", O_RDWR, 0);
  ASSERT_GE(fd1, 0);
  auto info = q::device_info(sys, fd1);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->chip_id, 0x06060001u);
  EXPECT_EQ(info->gmem_sizebytes, 1536u << 10);
  EXPECT_EQ(q::get_property<uint32_t>(sys, fd1, KGSL_PROP_IS_LPAC_ENABLED).value(), 1u);
  EXPECT_EQ(sys.open("/dev/kgsl-3d2", O_RDWR, 0), -ENOENT);
}

TEST_F(QcomSim, Properties) {
  auto info = q::device_info(sys(), fd_);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->chip_id, 0x06030001u);
  EXPECT_EQ(info->gmem_sizebytes, 1u << 20);
  EXPECT_EQ(info->mmu_enabled, 1u);
  EXPECT_EQ(info->gpu_id, 0u);
  auto v = q::get_property<kgsl_version>(sys(), fd_, KGSL_PROP_VERSION);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->drv_major, 3u);
  EXPECT_EQ(v->drv_minor, 14u);
  // Core properties need the exact size; adreno ones copy what fits.
  uint64_t big[4] = {};
  EXPECT_EQ(err_of(q::get_property_into(sys(), fd_, KGSL_PROP_VERSION, big, 24)), EINVAL);
  uint16_t half = 0;
  EXPECT_TRUE(q::get_property_into(sys(), fd_, KGSL_PROP_HIGHEST_BANK_BIT, &half, 2).ok());
  EXPECT_EQ(half, 15u);
  EXPECT_EQ(q::get_property<uint32_t>(sys(), fd_, KGSL_PROP_DEVICE_BITNESS).value(), 48u);
  auto model = q::get_property<kgsl_gpu_model>(sys(), fd_, KGSL_PROP_GPU_MODEL);
  ASSERT_TRUE(model.ok());
  EXPECT_STREQ(model->gpu_model, "Adreno630v2");
  EXPECT_TRUE(q::get_property<uint64_t>(sys(), fd_, KGSL_PROP_UCHE_GMEM_VADDR).ok());
  EXPECT_EQ(err_of(q::get_property<uint32_t>(sys(), fd_, 0x7F)), ENODEV);
  // Legacy WAITTIMESTAMP: ENOTTY; an unknown nr too.
  q::kgsl_device_waittimestamp w{};
  EXPECT_EQ(sys().ioctl(fd_, IOCTL_KGSL_DEVICE_WAITTIMESTAMP, &w), -ENOTTY);
  EXPECT_EQ(sys().ioctl(fd_, core::ioc(core::IoctlDir::kReadWrite, 0x09, 0x7E, 8), &w), -ENOTTY);
}

TEST_F(QcomSim, MemstoreShadowIsReadOnly) {
  auto s = q::get_property<kgsl_shadowprop>(sys(), fd_, KGSL_PROP_DEVICE_SHADOW);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->flags, KGSL_FLAGS_INITIALIZED | KGSL_FLAGS_PER_CONTEXT_TIMESTAMPS);
  auto w = sys().mmap(nullptr, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, s->gpuaddr);
  EXPECT_EQ(w.err, EPERM);
  auto shortm = sys().mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd_, s->gpuaddr);
  EXPECT_EQ(shortm.err, EINVAL);
  auto r = sys().mmap(nullptr, s->size, PROT_READ, MAP_SHARED, fd_, s->gpuaddr);
  ASSERT_NE(r.addr, nullptr);
  const uint32_t c = ctx();
  uint32_t ib[16];
  Pm4Writer wr(ib);
  wr.pkt7(q::CpNop{});
  ASSERT_TRUE(wr.ok());
  auto ts = submit(c, wr.written());
  ASSERT_TRUE(ts.ok());
  ASSERT_TRUE(q::waittimestamp_ctxtid(sys(), fd_, c, *ts, 2000).ok());
  const auto* rec = reinterpret_cast<const kgsl_devmemstore*>(static_cast<uint8_t*>(r.addr) +
                                                              c * sizeof(kgsl_devmemstore));
  EXPECT_EQ(rec->eoptimestamp, *ts);
  EXPECT_EQ(rec->soptimestamp, *ts);
  sys().munmap(r.addr, s->size);
}

// ---- contexts ---------------------------------------------------------------------------------

TEST_F(QcomSim, ContextFlagsAndLimits) {
  kgsl_drawctxt_create c{.flags = KGSL_CONTEXT_NO_GMEM_ALLOC, .drawctxt_id = 0};
  EXPECT_EQ(sys().ioctl(fd_, IOCTL_KGSL_DRAWCTXT_CREATE, &c), -EINVAL);  // no PREAMBLE
  c.flags = KGSL_CONTEXT_PREAMBLE;
  EXPECT_EQ(sys().ioctl(fd_, IOCTL_KGSL_DRAWCTXT_CREATE, &c), -EINVAL);  // no NO_GMEM_ALLOC
  c.flags = KGSL_CONTEXT_PREAMBLE | KGSL_CONTEXT_NO_GMEM_ALLOC | KGSL_CONTEXT_SAVE_GMEM |
            KGSL_CONTEXT_TRASH_STATE;
  ASSERT_EQ(sys().ioctl(fd_, IOCTL_KGSL_DRAWCTXT_CREATE, &c), 0);
  // SAVE_GMEM/TRASH_STATE dropped, PER_CONTEXT_TS forced, priority 0 -> 8.
  EXPECT_EQ(c.flags, KGSL_CONTEXT_PREAMBLE | KGSL_CONTEXT_NO_GMEM_ALLOC |
                         KGSL_CONTEXT_PER_CONTEXT_TS | q::kgsl_context_priority(8));
  EXPECT_EQ(c.drawctxt_id, 1u);
  c.flags = q::compute_context_flags() | KGSL_CONTEXT_LPAC;
  EXPECT_EQ(sys().ioctl(fd_, IOCTL_KGSL_DRAWCTXT_CREATE, &c), -EOPNOTSUPP);  // a630: no LPAC
  // Another fd cannot use or destroy it.
  const int fd2 = sys().open("/dev/kgsl-3d0", O_RDWR, 0);
  EXPECT_EQ(err_of(q::drawctxt_destroy(sys(), fd2, 1)), EINVAL);
  EXPECT_EQ(err_of(q::readtimestamp(sys(), fd2, 1)), EINVAL);
  EXPECT_EQ(q::readtimestamp(sys(), fd_, 1, KGSL_TIMESTAMP_QUEUED).value(), 0u);
  kgsl_cmdstream_readtimestamp_ctxtid rt{.context_id = 1, .type = 9, .timestamp = 0};
  EXPECT_EQ(sys().ioctl(fd_, IOCTL_KGSL_CMDSTREAM_READTIMESTAMP_CTXTID, &rt), -EINVAL);
  // 200 contexts per process (fd2 shares the process).
  for (int i = 1; i < 200; ++i)
    ASSERT_TRUE(q::drawctxt_create(sys(), fd2, q::compute_context_flags()).ok()) << i;
  EXPECT_EQ(err_of(q::drawctxt_create(sys(), fd_, q::compute_context_flags())), ENOSPC);
  EXPECT_EQ(sys().close(fd2), 0);  // releases its 199
  EXPECT_TRUE(q::drawctxt_create(sys(), fd_, q::compute_context_flags()).ok());
  EXPECT_TRUE(q::drawctxt_destroy(sys(), fd_, 1).ok());
  EXPECT_EQ(err_of(q::drawctxt_destroy(sys(), fd_, 1)), EINVAL);
  // Power constraint (sheet §1.5).
  const uint32_t id = ctx();
  EXPECT_TRUE(q::set_power_constraint(sys(), fd_, id).ok());
  EXPECT_EQ(err_of(q::set_power_constraint(sys(), fd_, id, 7)), EINVAL);
  EXPECT_EQ(err_of(q::set_power_constraint(sys(), fd_, 999)), EINVAL);
}

// ---- memory ----------------------------------------------------------------------------------

TEST_F(QcomSim, GpuObjectAllocRules) {
  kgsl_gpuobj_alloc a{};
  a.size = 0;
  EXPECT_EQ(sys().ioctl(fd_, IOCTL_KGSL_GPUOBJ_ALLOC, &a), -EINVAL);
  a.size = 0x100000000ull;
  EXPECT_EQ(sys().ioctl(fd_, IOCTL_KGSL_GPUOBJ_ALLOC, &a), -EINVAL);
  a.size = 100;
  a.flags = q::kgsl_memalign(4) | (1ull << 40) | KGSL_MEMFLAGS_IOCOHERENT;  // junk bits
  ASSERT_EQ(sys().ioctl(fd_, IOCTL_KGSL_GPUOBJ_ALLOC, &a), 0);
  EXPECT_EQ(a.size, 4096u);
  EXPECT_EQ(a.mmapsize, 4096u);
  EXPECT_EQ(a.flags, q::kgsl_memalign(12));  // unknown dropped, WC drops IOCOHERENT, align >= 12
  a.size = 4096;
  a.flags = KGSL_MEMFLAGS_SECURE;
  EXPECT_EQ(sys().ioctl(fd_, IOCTL_KGSL_GPUOBJ_ALLOC, &a), -EOPNOTSUPP);
  // Non-SVM: a GPU address at once, aligned as asked.
  auto o = q::gpuobj_alloc(sys(), fd_, 8192, q::buffer_flags(KGSL_CACHEMODE_WRITEBACK, false, 16));
  ASSERT_TRUE(o.ok());
  EXPECT_NE(o->gpuaddr, 0u);
  EXPECT_EQ(o->gpuaddr % 65536, 0u);
  // The budget (4 GiB on a630).
  auto big1 = q::gpuobj_alloc(sys(), fd_, 0xF0000000ull, q::buffer_flags());
  ASSERT_TRUE(big1.ok());
  EXPECT_EQ(err_of(q::gpuobj_alloc(sys(), fd_, 0x10000000ull, q::buffer_flags())), ENOMEM);
  EXPECT_TRUE(q::gpuobj_free(sys(), fd_, big1->id).ok());
  EXPECT_EQ(err_of(q::gpuobj_free(sys(), fd_, big1->id)), EINVAL);
  EXPECT_EQ(err_of(q::gpuobj_info(sys(), fd_, 4242)), EINVAL);
}

TEST_F(QcomSim, SvmMmapRules) {
  auto o = q::gpuobj_alloc(sys(), fd_, 5000, q::buffer_flags(KGSL_CACHEMODE_WRITECOMBINE, true));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->gpuaddr, 0u);  // no GPU address until the mmap
  EXPECT_EQ(o->size, 8192u);
  EXPECT_EQ(err_of(q::gpuobj_mmap(sys(), fd_, o->id, 4096)), ERANGE);
  auto p = q::gpuobj_mmap(sys(), fd_, o->id, o->mmapsize);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(q::gpuobj_info(sys(), fd_, o->id)->gpuaddr, reinterpret_cast<uint64_t>(*p));
  EXPECT_EQ(err_of(q::gpuobj_mmap(sys(), fd_, o->id, o->mmapsize)), EBUSY);
  EXPECT_EQ(err_of(q::gpuobj_mmap(sys(), fd_, 777, 4096)), EINVAL);
  // MAP_USER_MEM of KGSL memory: EFAULT (tinygrad relies on it); of plain host pages: a GPU VA.
  EXPECT_EQ(err_of(q::map_user_mem(sys(), fd_, reinterpret_cast<uint64_t>(*p), 8192)), EFAULT);
  void* host = ::mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT_EQ(err_of(q::map_user_mem(sys(), fd_, reinterpret_cast<uint64_t>(host) + 8, 4096)),
            EINVAL);
  auto g = q::map_user_mem(sys(), fd_, reinterpret_cast<uint64_t>(host), 8192);
  ASSERT_TRUE(g.ok());
  EXPECT_NE(*g, 0u);
  EXPECT_TRUE(q::sharedmem_free(sys(), fd_, *g).ok());
  EXPECT_EQ(err_of(q::sharedmem_free(sys(), fd_, *g)), EINVAL);
  ::munmap(host, 8192);
  // Cache ops: bad op EINVAL, range past the end ERANGE.
  EXPECT_EQ(err_of(q::gpuobj_sync(sys(), fd_, o->id, 0)), EINVAL);
  EXPECT_EQ(err_of(q::gpuobj_sync(sys(), fd_, o->id,
                                  KGSL_GPUMEM_CACHE_CLEAN | KGSL_GPUMEM_CACHE_RANGE, 4096, 8192)),
            ERANGE);
  EXPECT_TRUE(q::gpuobj_sync(sys(), fd_, o->id, KGSL_GPUMEM_CACHE_FLUSH).ok());
  EXPECT_TRUE(q::gpuobj_free(sys(), fd_, o->id).ok());
  sys().munmap(*p, 8192);
}

// ---- GPU_COMMAND validation ---------------------------------------------------------------------

TEST_F(QcomSim, GpuCommandValidation) {
  const uint32_t c = ctx();
  Buf ib = buf(4096);
  uint32_t nop[2];
  Pm4Writer w(nop);
  w.pkt7(q::CpNop{});
  std::memcpy(ib.cpu, nop, 4);
  auto cmd = [&](kgsl_command_object o) {
    return err_of(q::gpu_command(sys(), fd_, c, std::span(&o, 1)));
  };
  EXPECT_EQ(cmd(q::ib(ib.va, 4, 0, 0)), EINVAL);          // no IB/preamble flag
  EXPECT_EQ(cmd(q::ib(ib.va, 0)), EINVAL);                // size 0
  EXPECT_EQ(cmd(q::ib(ib.va + 2, 4)), EINVAL);            // misaligned
  EXPECT_EQ(cmd(q::ib(ib.va, 4ull * 0x100000)), EINVAL);  // > 0xFFFFF dwords
  EXPECT_EQ(cmd(q::ib(1ull << 50, 4)), EINVAL);           // outside the VA range
  const kgsl_command_object ok_ib = q::ib(ib.va, 4);
  EXPECT_EQ(err_of(q::gpu_command(sys(), fd_, 99, std::span(&ok_ib, 1))), EINVAL);  // no such ctx
  // The wrong stride: the kernel reads 16 bytes of each element at its own 32-byte stride.
  kgsl_command_object two[2] = {q::ib(ib.va, 4), q::ib(ib.va, 4)};
  kgsl_gpu_command g{};
  g.cmdlist = reinterpret_cast<uint64_t>(two);
  g.cmdsize = 16;
  g.numcmds = 2;
  g.context_id = c;
  EXPECT_EQ(sys().ioctl(fd_, IOCTL_KGSL_GPU_COMMAND, &g), -EINVAL);  // size/flags read as 0
  g.cmdsize = 32;
  g.numcmds = 2001;
  EXPECT_EQ(sys().ioctl(fd_, IOCTL_KGSL_GPU_COMMAND, &g), -EINVAL);
  g.numcmds = 2;
  ASSERT_EQ(sys().ioctl(fd_, IOCTL_KGSL_GPU_COMMAND, &g), 0);
  EXPECT_EQ(g.timestamp, 1u);  // per-context timestamps start at 1
  // A marker gets the next timestamp; waits on it retire in order.
  g.numcmds = 0;
  g.flags = KGSL_CMDBATCH_MARKER;
  ASSERT_EQ(sys().ioctl(fd_, IOCTL_KGSL_GPU_COMMAND, &g), 0);
  EXPECT_EQ(g.timestamp, 2u);
  EXPECT_TRUE(q::waittimestamp_ctxtid(sys(), fd_, c, 2, 2000).ok());
  EXPECT_EQ(err_of(q::waittimestamp_ctxtid(sys(), fd_, c, 3, 10)), EINVAL);  // never queued
  EXPECT_EQ(q::readtimestamp(sys(), fd_, c, KGSL_TIMESTAMP_RETIRED).value(), 2u);
}

// ---- the CP -------------------------------------------------------------------------------------

TEST_F(QcomSim, MemWriteFlushTsAndAlwaysOn) {
  const uint32_t c = ctx();
  Buf out = buf(4096);
  uint32_t ib[64];
  Pm4Writer w(ib);
  const uint32_t data[2] = {0xC0FFEE, 0xBEEF};
  w.pkt7(q::CpSetMarker{});
  w.pkt7(q::CpMemWrite{.addr = out.va, .data = data});
  w.pkt7(q::CpWaitForIdle{});
  w.pkt7(q::CpEventWrite{.event = q::Event::CACHE_FLUSH_TS, .addr = out.va + 16, .value = 77});
  w.pkt7(
      q::CpRegToMem{.reg = a6::CP_ALWAYS_ON_COUNTER, .cnt = 2, .b64 = true, .dest = out.va + 24});
  w.pkt7(q::CpEventWrite{.event = q::Event::CACHE_INVALIDATE});
  w.pkt7(q::CpWaitMemWrites{});
  ASSERT_TRUE(w.ok()) << core::to_error(w.result()).message();
  const uint64_t before = always_on_now();
  auto ts = submit(c, w.written());
  ASSERT_TRUE(ts.ok()) << ts.error().message();
  ASSERT_TRUE(q::waittimestamp_ctxtid(sys(), fd_, c, *ts, 2000).ok());
  uint32_t got[4];
  std::memcpy(got, out.cpu, 8);
  std::memcpy(got + 2, out.cpu + 16, 4);
  EXPECT_EQ(got[0], 0xC0FFEEu);
  EXPECT_EQ(got[1], 0xBEEFu);
  EXPECT_EQ(got[2], 77u);
  uint64_t t;
  std::memcpy(&t, out.cpu + 24, 8);
  EXPECT_GE(t, before);
  EXPECT_LE(t, always_on_now());
  EXPECT_EQ(q::readtimestamp(sys(), fd_, c, KGSL_TIMESTAMP_CONSUMED).value(), *ts);
}

TEST_F(QcomSim, WaitRegMemAcrossContextsAndIb2) {
  const uint32_t a = ctx(), b = ctx();
  Buf flag = buf(4096);
  uint32_t ia[32], ib2[16], ib1[16];
  Pm4Writer wa(ia);
  wa.pkt7(q::CpWaitRegMem{.function = q::WaitFunction::kGreaterEqual,
                          .poll = q::PollSpace::kMemory,
                          .poll_addr = flag.va,
                          .ref = 5});
  const uint32_t done[1] = {1};
  wa.pkt7(q::CpMemWrite{.addr = flag.va + 8, .data = done});
  ASSERT_TRUE(wa.ok());
  auto ta = submit(a, wa.written());
  ASSERT_TRUE(ta.ok());
  EXPECT_EQ(err_of(q::waittimestamp_ctxtid(sys(), fd_, a, *ta, 30)), ETIMEDOUT);  // stalled
  // Context b (not blocked by a) writes the flag from an IB2.
  Pm4Writer w2(ib2);
  const uint32_t five[1] = {5};
  w2.pkt7(q::CpMemWrite{.addr = flag.va, .data = five});
  Buf ib2buf = buf(4096);
  std::memcpy(ib2buf.cpu, ib2, w2.size() * 4);
  Pm4Writer w1(ib1);
  w1.pkt7(q::CpIndirectBuffer{.ib_base = ib2buf.va, .size_dwords = w2.size()});
  auto tb = submit(b, w1.written());
  ASSERT_TRUE(tb.ok());
  ASSERT_TRUE(q::waittimestamp_ctxtid(sys(), fd_, b, *tb, 2000).ok());
  ASSERT_TRUE(q::waittimestamp_ctxtid(sys(), fd_, a, *ta, 2000).ok());
  uint32_t v;
  std::memcpy(&v, flag.cpu + 8, 4);
  EXPECT_EQ(v, 1u);
}

struct Program {
  q::QcomProgram prog;
  const q::QcomKernel* k = nullptr;
};

class QcomDispatch : public QcomSim {
 protected:
  void load(const char* file = "sim_basic_a630.co") {
    const std::vector<uint8_t> bytes = read_file(std::string(RAWGPU_KERNEL_DIR) + "/" + file);
    ASSERT_FALSE(bytes.empty()) << file;
    auto p = q::parse_qcom_program(bytes);
    ASSERT_TRUE(p.ok()) << p.error().message();
    prog_ = std::move(*p);
  }
  // Uploads kernel `name`, its arguments into a 4 KiB constant buffer, and encodes the dispatch.
  std::vector<uint32_t> saxpy_ib(const Buf& code, const Buf& args, uint64_t y, uint64_t x,
                                 float alpha, uint32_t n, q::a6xx::Launch launch,
                                 uint32_t local = 64) {
    const q::QcomKernel* k = prog_.find("saxpy");
    EXPECT_NE(k, nullptr);
    std::memcpy(code.cpu, k->code.data(), k->code.size());
    std::memset(args.cpu, 0, 4096);
    EXPECT_GE(k->args.size(), 4u);
    std::memcpy(args.cpu + k->args[0].offset, &y, 8);
    std::memcpy(args.cpu + k->args[1].offset, &x, 8);
    std::memcpy(args.cpu + k->args[2].offset, &alpha, 4);
    std::memcpy(args.cpu + k->args[3].offset, &n, 4);
    a6::DispatchParams d{};
    d.shader_iova = code.va;
    d.instrlen = k->instrlen;
    d.prg_offset = k->prg_offset;
    d.full_regs = k->fregs;
    d.half_regs = k->hregs;
    d.consts_iova = args.va;
    d.local_size = {local, 1, 1};
    d.groups = {(n + local - 1) / local, 1, 1};
    d.launch = launch;
    d.shared_bytes = k->shmem;
    std::vector<uint32_t> ib(a6::dispatch_dwords(d, a6::kA630) + 8);
    core::EncodeResult r = a6::encode_dispatch(ib, d, a6::kA630);
    EXPECT_TRUE(r) << core::to_error(r).message();
    ib.resize(r.dwords);
    return ib;
  }
  q::QcomProgram prog_;
};

TEST_F(QcomDispatch, SaxpyExecCsAndRunOpencl) {
  load();
  const uint32_t c = ctx();
  const q::QcomKernel* k = prog_.find("saxpy");
  ASSERT_NE(k, nullptr);
  Buf code = buf(k->code.size()), args = buf(4096), x = buf(4096), y = buf(4096, false);
  const uint32_t n = 1000;
  for (auto launch : {a6::Launch::kExecCs, a6::Launch::kRunOpencl}) {
    for (uint32_t i = 0; i < n; ++i) {
      float xv = float(i), yv = 1.0f;
      std::memcpy(x.cpu + 4 * i, &xv, 4);
      std::memcpy(y.cpu + 4 * i, &yv, 4);
    }
    auto ib = saxpy_ib(code, args, y.va, x.va, 2.0f, n, launch);
    auto ts = submit(c, ib);
    ASSERT_TRUE(ts.ok()) << ts.error().message();
    ASSERT_TRUE(q::waittimestamp_ctxtid(sys(), fd_, c, *ts, 5000).ok())
        << (m_->kernel_log().empty() ? "" : m_->kernel_log().back());
    for (uint32_t i = 0; i < n; i += 97) {
      float v;
      std::memcpy(&v, y.cpu + 4 * i, 4);
      EXPECT_EQ(v, 2.0f * float(i) + 1.0f) << i;
    }
  }
  EXPECT_GE(m_->gpus()[0]->cp->dispatches(), 2u);
}

TEST_F(QcomDispatch, DispatchStrictness) {
  load();
  const q::QcomKernel* k = prog_.find("saxpy");
  ASSERT_NE(k, nullptr);
  Buf code = buf(k->code.size()), args = buf(4096), x = buf(4096), y = buf(4096);
  auto run_expect_fault = [&](std::vector<uint32_t> ib, const std::string& text) {
    const uint32_t c = ctx();
    auto ts = submit(c, ib);
    ASSERT_TRUE(ts.ok());
    EXPECT_EQ(err_of(q::waittimestamp_ctxtid(sys(), fd_, c, *ts, 5000)), EPROTO);
    EXPECT_EQ(err_of(q::waittimestamp_ctxtid(sys(), fd_, c, *ts, 5000)), EDEADLK);
    EXPECT_TRUE(log_has(text)) << text << "\nlast: " << m_->kernel_log().back();
  };
  auto good = saxpy_ib(code, args, y.va, x.va, 1.0f, 256, a6::Launch::kExecCs);
  // No CONST_CONFIG.ENABLED: patch the SP_CS_CONST_CONFIG value of the stream.
  {
    auto ib = good;
    bool patched = false;
    q::walk_stream(
        std::span<const uint32_t>(ib), q::AdrenoGen::kA6xx,
        [&](const q::Pm4Packet& p) {
          if (p.type == 4 && p.reg <= a6::SP_CS_CONST_CONFIG &&
              a6::SP_CS_CONST_CONFIG < p.reg + p.payload().size()) {
            ib[p.offset + 1 + (a6::SP_CS_CONST_CONFIG - p.reg)] &= ~0x100u;
            patched = true;
          }
          return true;
        }).ok()
        ? void()
        : void(ADD_FAILURE());
    ASSERT_TRUE(patched);
    run_expect_fault(ib, "CONST_CONFIG.ENABLED");
  }
  // Local size over the limit: 2048 does not encode, so use global != groups x local.
  {
    auto ib = good;
    q::walk_stream(
        std::span<const uint32_t>(ib), q::AdrenoGen::kA6xx,
        [&](const q::Pm4Packet& p) {
          if (p.type == 4 && p.reg == a6::SP_CS_NDRANGE_0) ib[p.offset + 2] += 1;  // GLOBALSIZE_X
          return true;
        }).ok()
        ? void()
        : void(ADD_FAILURE());
    run_expect_fault(ib, "GLOBALSIZE_X");
  }
  // Arguments not loaded: drop the constants load (an unknown opcode would fault differently).
  {
    std::vector<uint32_t> ib;
    q::walk_stream(
        std::span<const uint32_t>(good), q::AdrenoGen::kA6xx,
        [&](const q::Pm4Packet& p) {
          const bool consts =
              p.type == 7 && p.opcode == q::CP_LOAD_STATE6_FRAG && ((p.words[1] >> 14) & 3) == 1;
          if (!consts) ib.insert(ib.end(), p.words.begin(), p.words.end());
          return true;
        }).ok()
        ? void()
        : void(ADD_FAILURE());
    run_expect_fault(ib, "was not loaded");
  }
  // Page fault inside the kernel: x unmapped.
  {
    auto ib = saxpy_ib(code, args, y.va, 0x7000000000ull, 1.0f, 64, a6::Launch::kExecCs);
    run_expect_fault(ib, "page fault at 0x7000000000");
  }
}

TEST_F(QcomSim, FaultsInvalidateOnlyTheirContext) {
  const uint32_t bad = ctx(), good = ctx();
  uint32_t ib[32];
  Pm4Writer w(ib);
  const uint32_t one[1] = {1};
  w.pkt7(q::CpMemWrite{.addr = 0x5550000000ull, .data = one});
  auto ts = submit(bad, w.written());
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(err_of(q::waittimestamp_ctxtid(sys(), fd_, bad, *ts, 2000)), EPROTO);
  EXPECT_EQ(err_of(q::waittimestamp_ctxtid(sys(), fd_, bad, *ts, 2000)), EDEADLK);
  EXPECT_EQ(err_of(submit(bad, w.written())), EDEADLK);
  EXPECT_TRUE(log_has("GPU page fault at 0x5550000000"));
  EXPECT_TRUE(log_has("(ctx " + std::to_string(bad) + ")"));
  EXPECT_EQ(q::get_property<uint32_t>(sys(), fd_, KGSL_PROP_GPU_RESET_STAT).error().err(), EINVAL);
  uint32_t stat = bad;
  ASSERT_TRUE(q::get_property_into(sys(), fd_, KGSL_PROP_GPU_RESET_STAT, &stat, 4).ok());
  EXPECT_EQ(stat, KGSL_CTX_STAT_GUILTY_CONTEXT_RESET_EXT);
  stat = bad;
  ASSERT_TRUE(q::get_property_into(sys(), fd_, KGSL_PROP_GPU_RESET_STAT, &stat, 4).ok());
  EXPECT_EQ(stat, KGSL_CTX_STAT_NO_ERROR);  // read and clear
  // Protected register write and a bad header on other contexts.
  const uint32_t prot = ctx();
  Pm4Writer wp(ib);
  wp.pkt4(0x100, {1});
  auto tp = submit(prot, wp.written());
  ASSERT_TRUE(tp.ok());
  EXPECT_EQ(err_of(q::waittimestamp_ctxtid(sys(), fd_, prot, *tp, 2000)), EPROTO);
  EXPECT_TRUE(log_has("Protected mode error"));
  const uint32_t junk = ctx();
  const uint32_t garbage[2] = {q::pkt7_header(q::CP_NOP, 1) ^ (1u << 15), 0};  // bad parity
  auto tj = submit(junk, garbage);
  ASSERT_TRUE(tj.ok());
  EXPECT_EQ(err_of(q::waittimestamp_ctxtid(sys(), fd_, junk, *tj, 2000)), EPROTO);
  EXPECT_TRUE(log_has("CP illegal instruction"));
  // The innocent context keeps working.
  Pm4Writer wg(ib);
  wg.pkt7(q::CpNop{});
  auto tg = submit(good, wg.written());
  ASSERT_TRUE(tg.ok());
  EXPECT_TRUE(q::waittimestamp_ctxtid(sys(), fd_, good, *tg, 2000).ok());
}

TEST_F(QcomSim, DeferredFreeWaitsForTheTimestamp) {
  const uint32_t c = ctx();
  Buf flag = buf(4096);
  auto victim = q::gpuobj_alloc(sys(), fd_, 4096, q::buffer_flags());
  ASSERT_TRUE(victim.ok());
  uint32_t ib[16];
  Pm4Writer w(ib);
  w.pkt7(q::CpWaitRegMem{.function = q::WaitFunction::kEqual,
                         .poll = q::PollSpace::kMemory,
                         .poll_addr = flag.va,
                         .ref = 1});
  auto ts = submit(c, w.written());
  ASSERT_TRUE(ts.ok());
  ASSERT_TRUE(q::gpuobj_free_on_timestamp(sys(), fd_, victim->id, c, *ts).ok());
  EXPECT_EQ(err_of(q::gpuobj_free(sys(), fd_, victim->id)), EBUSY);  // already pending
  EXPECT_TRUE(q::gpuobj_info(sys(), fd_, victim->id).ok());          // still alive
  const uint32_t one = 1;
  std::memcpy(flag.cpu, &one, 4);
  ASSERT_TRUE(q::waittimestamp_ctxtid(sys(), fd_, c, *ts, 2000).ok());
  for (int i = 0; i < 200 && q::gpuobj_info(sys(), fd_, victim->id).ok(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(err_of(q::gpuobj_info(sys(), fd_, victim->id)), EINVAL);
  // A fence from TIMESTAMP_EVENT is a file the caller can close.
  auto fence = q::timestamp_event(sys(), fd_, c, *ts);
  ASSERT_TRUE(fence.ok()) << fence.error().message();
  EXPECT_EQ(sys().close(*fence), 0);
  kgsl_timestamp_event ev{.type = KGSL_TIMESTAMP_EVENT_FENCE,
                          .timestamp = 1,
                          .context_id = c,
                          .pad0 = 0,
                          .priv = 0,
                          .len = 8};
  EXPECT_EQ(sys().ioctl(fd_, IOCTL_KGSL_TIMESTAMP_EVENT, &ev), -EINVAL);
}

TEST_F(QcomSim, PerfcounterAlwaysOn) {
  kgsl_perfcounter_get g{.groupid = KGSL_PERFCOUNTER_GROUP_ALWAYSON,
                         .countable = 0,
                         .offset = 0,
                         .offset_hi = 0,
                         .__pad = 0};
  ASSERT_EQ(sys().ioctl(fd_, IOCTL_KGSL_PERFCOUNTER_GET, &g), 0);
  EXPECT_EQ(g.offset, a6::CP_ALWAYS_ON_COUNTER);
  kgsl_perfcounter_read_group rg{
      .groupid = KGSL_PERFCOUNTER_GROUP_ALWAYSON, .countable = 0, .value = 0};
  kgsl_perfcounter_read r{};
  r.reads = reinterpret_cast<uint64_t>(&rg);
  r.count = 1;
  ASSERT_EQ(sys().ioctl(fd_, IOCTL_KGSL_PERFCOUNTER_READ, &r), 0);
  EXPECT_GT(rg.value, 0u);
  g.groupid = 3;
  EXPECT_EQ(sys().ioctl(fd_, IOCTL_KGSL_PERFCOUNTER_GET, &g), -EINVAL);
}

TEST_F(QcomSim, StuckContextDestroyAndTeardown) {
  const uint32_t c = ctx();
  Buf flag = buf(4096);
  uint32_t ib[16];
  Pm4Writer w(ib);
  w.pkt7(q::CpWaitRegMem{.function = q::WaitFunction::kEqual,
                         .poll = q::PollSpace::kMemory,
                         .poll_addr = flag.va,
                         .ref = 42});
  auto ts = submit(c, w.written());
  ASSERT_TRUE(ts.ok());
  int waited = 0;
  std::thread waiter(
      [&] { waited = err_of(q::waittimestamp_ctxtid(sys(), fd_, c, *ts, q::kWaitForever)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(q::drawctxt_destroy(sys(), fd_, c).ok());  // bounded detach wait
  waiter.join();
  EXPECT_EQ(waited, ENOENT);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  // Another stuck context left open: the machine still tears down.
  const uint32_t c2 = ctx();
  ASSERT_TRUE(submit(c2, w.written()).ok());
  m_.reset();
}

}  // namespace
}  // namespace rawgpu::sim::qcom

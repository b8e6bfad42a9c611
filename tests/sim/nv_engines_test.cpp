// The simulated NVIDIA engines (sim/nv/engines.h): channels built by hand (page table, GPFIFO
// ring, USERD, pushbuffers, QMDs, simulator cubins), driven through the doorbell exactly as a
// runtime drives them, with the nv_ioctl/packets.h encoders.
#include "sim/nv/engines.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nv_ioctl/loader.h"
#include "nv_ioctl/packets.h"

namespace rawgpu::sim::nv {
namespace {

namespace hw = rawgpu::nv;
using namespace std::chrono_literals;

// ---- harness ------------------------------------------------------------------------------------

class TestSink : public ChannelSink {
 public:
  void on_nonstall_interrupt(ChannelState&) override { ++nonstall; }
  void on_channel_error(ChannelState& ch, uint32_t xid, const std::string& what) override {
    std::lock_guard lk(mu);
    EXPECT_TRUE(ch.faulted.load());  // set before the sink hears of it
    errors.push_back({xid, what});
  }
  size_t error_count() {
    std::lock_guard lk(mu);
    return errors.size();
  }
  std::pair<uint32_t, std::string> error(size_t i = 0) {
    std::lock_guard lk(mu);
    return errors.at(i);
  }
  std::atomic<int> nonstall{0};
  std::mutex mu;
  std::vector<std::pair<uint32_t, std::string>> errors;
};

template <class Pred>
bool wait_for(Pred p, std::chrono::milliseconds timeout = 3000ms) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!p()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(50us);
  }
  return true;
}

uint64_t load64(const uint8_t* p) {
  return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(const_cast<uint8_t*>(p)))
      .load(std::memory_order_acquire);
}
uint32_t load32(const uint8_t* p) {
  return std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(const_cast<uint8_t*>(p)))
      .load(std::memory_order_acquire);
}
void store64(uint8_t* p, uint64_t v) {
  std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(p)).store(v, std::memory_order_release);
}

struct Mem {
  std::shared_ptr<Bo> bo;
  uint64_t va = 0;
  uint8_t* host() const { return bo->data(); }
};

// A GPU: profile, usermode page, engines, and one VA space the channels share.
struct Gpu {
  explicit Gpu(const char* profile_name) : profile(*find_profile(profile_name)) {
    usermode = *Bo::create(hw::kUsermodeBytes, "usermode");
    vm = std::make_shared<PageTable>();
    engines = std::make_unique<Engines>(profile, usermode);
  }
  ~Gpu() { engines.reset(); }

  Mem alloc(uint64_t size, uint64_t align = 0x1000, uint32_t perms = kRead | kWrite) {
    size = (size + 0xFFF) & ~uint64_t{0xFFF};
    next = (next + align - 1) & ~(align - 1);
    Mem m{*Bo::create(size, "test"), next};
    EXPECT_TRUE(vm->map(m.va, m.bo, 0, size, perms).ok());
    next += size + 0x1000;  // a guard page between objects
    return m;
  }
  uint32_t* doorbell() {
    return reinterpret_cast<uint32_t*>(usermode->data() + hw::NVC361_NOTIFY_CHANNEL_PENDING);
  }

  const Profile& profile;
  std::shared_ptr<Bo> usermode;
  std::shared_ptr<PageTable> vm;
  std::unique_ptr<Engines> engines;
  uint64_t next = 0x10000000;
};

struct Chan {
  Chan(Gpu& g, uint32_t chid, uint32_t entries = 64) : gpu(g) {
    ring = g.alloc(8 * uint64_t{entries});
    pb = g.alloc(256 * 1024);
    st = std::make_shared<ChannelState>();
    st->chid = chid;
    st->work_submit_token = 0x100 + chid;
    st->channel_class = g.profile.gpfifo_class;
    st->gpfifo_va = ring.va;
    st->gpfifo_entries = entries;
    st->userd_bo = *Bo::create(hw::kUserdBytes, "userd");
    st->userd = st->userd_bo->data();
    st->vm = g.vm;
    st->compute_class = g.profile.compute_class;
    st->copy_class = g.profile.copy_class;
    st->sink = &sink;
  }
  void schedule() { gpu.engines->add(st); }
  ~Chan() { gpu.engines->remove(st.get()); }

  // Copies `dw` into the pushbuffer area and returns the GPFIFO entry for it.
  uint64_t entry_for(std::span<const uint32_t> dw) {
    if (pb_used + dw.size() > pb.bo->size() / 4) pb_used = 0;
    const uint64_t va = pb.va + 4 * uint64_t{pb_used};
    std::memcpy(pb.host() + 4 * size_t{pb_used}, dw.data(), 4 * dw.size());
    pb_used += static_cast<uint32_t>(dw.size());
    uint64_t e = 0;
    EXPECT_TRUE(hw::encode_gpfifo_entry({va, static_cast<uint32_t>(dw.size())}, e));
    return e;
  }
  // Submits a pushbuffer: ring slot, GP_PUT, doorbell (waits for a free slot first).
  void submit(std::span<const uint32_t> dw, bool ring_doorbell = true) {
    submit_raw(entry_for(dw), ring_doorbell);
  }
  void submit_raw(uint64_t entry, bool ring_doorbell = true) {
    const uint32_t n = st->gpfifo_entries;
    EXPECT_TRUE(wait_for([&] { return (put + 1) % n != hw::read_gp_get(st->userd); }));
    auto* r = reinterpret_cast<uint64_t*>(ring.host());
    if (ring_doorbell) {
      put = hw::submit_gpfifo({r, n}, put, entry, st->userd, gpu.doorbell(), st->work_submit_token);
    } else {
      r[put] = entry;
      put = (put + 1) % n;
      std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(st->userd + hw::kUserdGpPutOffset))
          .store(put, std::memory_order_release);
    }
  }
  uint32_t gp_get() const { return hw::read_gp_get(st->userd); }
  bool idle() const { return gp_get() == put; }

  Gpu& gpu;
  Mem ring, pb;
  std::shared_ptr<ChannelState> st;
  TestSink sink;
  uint32_t put = 0;
  uint32_t pb_used = 0;
};

// A pushbuffer under construction.
struct Pb {
  std::array<uint32_t, 1024> buf{};
  hw::Pushbuffer pb{buf};
  std::span<const uint32_t> done() {
    EXPECT_TRUE(pb.ok()) << core::to_error(pb.result()).message();
    return pb.written();
  }
};

hw::HostSemaphore sem(uint64_t va, uint64_t payload, hw::SemOperation op, bool wide = true) {
  hw::HostSemaphore s{va, payload, {}, false};
  s.execute.operation = op;
  s.execute.payload_size =
      wide ? hw::SemPayloadSize::PAYLOAD_SIZE_64BIT : hw::SemPayloadSize::PAYLOAD_SIZE_32BIT;
  return s;
}

// ---- kernels ------------------------------------------------------------------------------------

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Module {
  hw::Cubin cubin;
  Mem image;
  const hw::CubinKernel& kernel(const char* name) const {
    const hw::CubinKernel* k = cubin.kernel(name);
    EXPECT_NE(k, nullptr) << name;
    return *k;
  }
  uint64_t program(const char* name) const { return image.va + kernel(name).code_offset; }
};

Module load_module(Gpu& g, const std::string& file) {
  const std::vector<uint8_t> bytes = read_file(std::string(RAWGPU_KERNEL_DIR) + "/" + file);
  EXPECT_FALSE(bytes.empty()) << file;
  core::Result<hw::Cubin> c = hw::parse_cubin(bytes);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
  Module m{std::move(*c), {}};
  m.image = g.alloc(m.cubin.image.size(), 0x10000);
  EXPECT_TRUE(hw::relocate(m.cubin.image, m.image.va, m.cubin.relocations).ok());
  std::memcpy(m.image.host(), m.cubin.image.data(), m.cubin.image.size());
  return m;
}

struct SaxpyArgs {
  uint64_t y, x;
  float a;
  uint32_t n;
};
struct FillArgs {
  uint64_t out;
  uint32_t value, n;
};

// One launch: cbuf0 (driver words + args) and a QMD in a kernargs chunk; returns the QMD VA.
struct Launch {
  uint32_t grid = 1, block = 64;
  uint32_t cbuf_grid = 0;  // 0: = grid (a different value makes cbuf0 lie)
  hw::QmdRelease release{};
  hw::QmdDependentQmd dependent{};
  std::optional<hw::QmdVersion> version;  // default: the profile's
};
uint64_t make_launch(Gpu& g, const Module& m, const char* kname, std::span<const uint8_t> args,
                     const Launch& l, std::vector<uint32_t>* qmd_out = nullptr,
                     uint64_t program = 0) {
  const hw::CubinKernel& k = m.kernel(kname);
  const Mem chunk = g.alloc(0x1000, 0x1000);
  hw::Cbank0Launch cl;
  cl.grid = {l.cbuf_grid ? l.cbuf_grid : l.grid, 1, 1};
  cl.block = {l.block, 1, 1};
  EXPECT_TRUE(hw::marshal_cbank0(k, cl, args, {chunk.host(), k.cbank0_size}).ok());
  const uint32_t cb_size = (k.cbank0_size + 63) & ~63u;
  const uint64_t qmd_va = chunk.va + ((cb_size + 0xFF) & ~0xFFu);
  hw::QmdParams q;
  q.grid = {l.grid, 1, 1};
  q.block = {static_cast<uint16_t>(l.block), 1, 1};
  q.register_count = static_cast<uint16_t>(k.register_count);
  q.program_address = program ? program : m.image.va + k.code_offset;
  q.shared_memory_size = hw::launch_shared_bytes(k, 0);
  q.sass_version = static_cast<uint8_t>(((g.profile.sm / 10) << 4) | (g.profile.sm % 10));
  q.constant_buffer[0] = {true, true, chunk.va, cb_size};
  q.release[0] = l.release;
  q.dependent_qmd[0] = l.dependent;
  const hw::QmdVersion v = l.version.value_or(g.profile.qmd);
  if (v == hw::QmdVersion::V03_00) {
    q.invalidate_texture_header_cache = true;
    q.sm_global_caching_enable = true;
  }
  std::vector<uint32_t> qmd(hw::qmd_dwords(v));
  const core::EncodeResult r = hw::encode_qmd(qmd, v, q);
  EXPECT_TRUE(r) << core::to_error(r).message();
  std::memcpy(chunk.host() + (qmd_va - chunk.va), qmd.data(), 4 * qmd.size());
  if (qmd_out) *qmd_out = qmd;
  return qmd_va;
}

template <class T>
std::span<const uint8_t> bytes_of(const T& t) {
  return {reinterpret_cast<const uint8_t*>(&t), sizeof t};
}

hw::QmdRelease qmd_release(uint64_t va, uint64_t payload) {
  hw::QmdRelease r;
  r.enable = true;
  r.address = va;
  r.payload = payload;
  r.payload64b = true;
  return r;
}

// Pushes SET_OBJECT compute + SEND_PCAS (+ optional host release) and submits.
void pcas(Chan& c, uint64_t qmd_va, hw::PcasAction action = hw::PcasAction::PREFETCH_SCHEDULE) {
  Pb p;
  p.pb.append(hw::encode_set_object(p.pb.free_space(), hw::kSubchCompute, c.st->compute_class));
  p.pb.append(hw::encode_send_pcas(p.pb.free_space(), c.st->compute_class, qmd_va, action));
  c.submit(p.done());
}

// ---- host semaphores ----------------------------------------------------------------------------

TEST(NvEngines, HostRelease64WithTimestampAndNonStallInterrupt) {
  Gpu g("GH100");
  Chan c(g, 1);
  c.schedule();
  Mem s = g.alloc(0x1000);
  const uint64_t t0 = gpu_time_ns();
  Pb p;
  p.pb.append(hw::encode_host_semaphore(p.pb.free_space(), c.st->channel_class,
                                        hw::host_semaphore_release(s.va, 0x1234567890ull)));
  c.submit(p.done());
  ASSERT_TRUE(wait_for([&] { return load64(s.host()) == 0x1234567890ull; }));
  const uint64_t ts = load64(s.host() + 8);
  EXPECT_GE(ts, t0);
  EXPECT_LE(ts, gpu_time_ns());
  EXPECT_TRUE(wait_for([&] { return c.sink.nonstall.load() == 1 && c.idle(); }));
  EXPECT_EQ(c.sink.error_count(), 0u);
  EXPECT_EQ(g.engines->gpfifo_entries_executed(), 1u);
  EXPECT_GE(g.engines->methods_executed(), 6u);
}

TEST(NvEngines, Release32WritesOnlyTheLowWordAndReductionsAdd) {
  Gpu g("GH100");
  Chan c(g, 1);
  c.schedule();
  Mem s = g.alloc(0x1000);
  store64(s.host(), 0xAAAAAAAA00000000ull);
  store64(s.host() + 16, 40);
  Pb p;
  p.pb.append(hw::encode_host_semaphore(p.pb.free_space(), c.st->channel_class,
                                        sem(s.va, 7, hw::SemOperation::RELEASE, false)));
  hw::HostSemaphore red = sem(s.va + 16, 2, hw::SemOperation::REDUCTION);
  red.execute.reduction = hw::SemReduction::IADD;
  p.pb.append(hw::encode_host_semaphore(p.pb.free_space(), c.st->channel_class, red));
  c.submit(p.done());
  ASSERT_TRUE(wait_for([&] { return c.idle(); }));
  EXPECT_EQ(load64(s.host()), 0xAAAAAAAA00000007ull);
  EXPECT_EQ(load64(s.host() + 16), 42u);
}

TEST(NvEngines, AcquireGeqAcrossChannelsAndAStallBlocksOnlyItsChannel) {
  Gpu g("GH100");
  Chan a(g, 1), b(g, 2);
  a.schedule();
  b.schedule();
  Mem s = g.alloc(0x1000);
  // a: wait for s[0] >= 3 (CIRC_GEQ, 64-bit), then release s[16] = 1.
  Pb pa;
  pa.pb.append(hw::encode_host_semaphore(pa.pb.free_space(), a.st->channel_class,
                                         hw::host_semaphore_acquire(s.va, 3)));
  pa.pb.append(hw::encode_host_semaphore(pa.pb.free_space(), a.st->channel_class,
                                         hw::host_semaphore_release(s.va + 16, 1)));
  a.submit(pa.done());
  // b: release s[32] = 5, then s[0] = 2 (not enough), while a stays stalled.
  Pb pb;
  pb.pb.append(hw::encode_host_semaphore(pb.pb.free_space(), b.st->channel_class,
                                         hw::host_semaphore_release(s.va + 32, 5)));
  pb.pb.append(hw::encode_host_semaphore(pb.pb.free_space(), b.st->channel_class,
                                         hw::host_semaphore_release(s.va, 2)));
  b.submit(pb.done());
  ASSERT_TRUE(wait_for([&] { return load64(s.host() + 32) == 5 && b.idle(); }));
  std::this_thread::sleep_for(5ms);
  EXPECT_EQ(load64(s.host() + 16), 0u);
  EXPECT_EQ(a.gp_get(), 0u);
  // b again: s[0] = 3 satisfies a.
  Pb pb2;
  pb2.pb.append(hw::encode_host_semaphore(pb2.pb.free_space(), b.st->channel_class,
                                          hw::host_semaphore_release(s.va, 3)));
  b.submit(pb2.done());
  ASSERT_TRUE(wait_for([&] { return load64(s.host() + 16) == 1 && a.idle(); }));
  EXPECT_EQ(a.sink.error_count() + b.sink.error_count(), 0u);
}

TEST(NvEngines, AcquireCompareSemantics) {
  Gpu g("GH100");
  Chan c(g, 1);
  c.schedule();
  Mem s = g.alloc(0x1000);
  // 32-bit CIRC_GEQ across the wrap: 0x00000002 >= 0xFFFFFFF0; STRICT_GEQ 64; AND; NOR; equal.
  std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(s.host())).store(2);
  store64(s.host() + 8, 100);
  std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(s.host() + 16)).store(0x10);
  std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(s.host() + 20)).store(0xFFFF0000u);
  Pb p;
  auto add = [&](const hw::HostSemaphore& h) {
    p.pb.append(hw::encode_host_semaphore(p.pb.free_space(), c.st->channel_class, h));
  };
  add(sem(s.va, 0xFFFFFFF0u, hw::SemOperation::ACQ_CIRC_GEQ, false));
  add(sem(s.va + 8, 100, hw::SemOperation::ACQ_STRICT_GEQ));
  add(sem(s.va + 16, 0x30, hw::SemOperation::ACQ_AND, false));
  add(sem(s.va + 20, 0x0000FF00u, hw::SemOperation::ACQ_NOR, false));
  add(sem(s.va + 8, 100, hw::SemOperation::ACQUIRE));
  add(hw::host_semaphore_release(s.va + 32, 9));
  c.submit(p.done());
  ASSERT_TRUE(wait_for([&] { return load64(s.host() + 32) == 9; }));
  // Now an unsatisfied STRICT_GEQ (no wrap: 1 < 0xFFFFFFFF) stalls.
  Pb p2;
  p2.pb.append(hw::encode_host_semaphore(
      p2.pb.free_space(), c.st->channel_class,
      sem(s.va + 40, 0xFFFFFFFFu, hw::SemOperation::ACQ_STRICT_GEQ, false)));
  p2.pb.append(hw::encode_host_semaphore(p2.pb.free_space(), c.st->channel_class,
                                         hw::host_semaphore_release(s.va + 48, 1)));
  std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(s.host() + 40)).store(1);
  c.submit(p2.done());
  std::this_thread::sleep_for(5ms);
  EXPECT_EQ(load64(s.host() + 48), 0u);
  std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(s.host() + 40)).store(0xFFFFFFFFu);
  ASSERT_TRUE(wait_for([&] { return load64(s.host() + 48) == 1; }));
  EXPECT_EQ(c.sink.error_count(), 0u);
}

// ---- doorbells and the ring ---------------------------------------------------------------------

TEST(NvEngines, ChannelWithoutItsTokenIsNotFetchedAndStrayTokensAreCounted) {
  Gpu g("GH100");
  Chan c(g, 1);
  c.schedule();
  Mem s = g.alloc(0x1000);
  Pb p;
  p.pb.append(hw::encode_host_semaphore(p.pb.free_space(), c.st->channel_class,
                                        hw::host_semaphore_release(s.va, 1, false)));
  c.submit(p.done(), /*ring_doorbell=*/false);
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(load64(s.host()), 0u);
  EXPECT_EQ(c.gp_get(), 0u);
  // The channel's own token.
  std::atomic_ref<uint32_t>(*g.doorbell()).store(c.st->work_submit_token);
  ASSERT_TRUE(wait_for([&] { return load64(s.host()) == 1 && c.idle(); }));
  EXPECT_EQ(g.engines->stray_doorbells(), 0u);
  // A token nobody owns is counted (it also makes the scheduled channels look for work: it may
  // have overwritten one of theirs).
  std::atomic_ref<uint32_t>(*g.doorbell()).store(0x999);
  ASSERT_TRUE(wait_for([&] { return g.engines->stray_doorbells() == 1; }));
  EXPECT_EQ(c.sink.error_count(), 0u);
}

TEST(NvEngines, RingWrapsWithMoreEntriesThanSlots) {
  Gpu g("GH100");
  Chan c(g, 1, /*entries=*/8);
  c.schedule();
  Mem s = g.alloc(0x1000);
  for (uint64_t i = 1; i <= 30; ++i) {
    Pb p;
    p.pb.append(hw::encode_host_semaphore(p.pb.free_space(), c.st->channel_class,
                                          hw::host_semaphore_release(s.va, i, false)));
    c.submit(p.done());
  }
  ASSERT_TRUE(wait_for([&] { return load64(s.host()) == 30 && c.idle(); }));
  EXPECT_EQ(c.gp_get(), 30u % 8);
  EXPECT_EQ(g.engines->gpfifo_entries_executed(), 30u);
}

// ---- compute ------------------------------------------------------------------------------------

struct SaxpyData {
  Mem x, y;
  uint32_t n;
  SaxpyArgs args;
};
SaxpyData saxpy_data(Gpu& g, uint32_t n, float a) {
  SaxpyData d{g.alloc(4 * n), g.alloc(4 * n), n, {}};
  for (uint32_t i = 0; i < n; ++i) {
    const float xv = static_cast<float>(i), yv = 1.0f;
    std::memcpy(d.x.host() + 4 * i, &xv, 4);
    std::memcpy(d.y.host() + 4 * i, &yv, 4);
  }
  d.args = {d.y.va, d.x.va, a, n};
  return d;
}
float at(const Mem& m, uint32_t i) {
  float f;
  std::memcpy(&f, m.host() + 4 * i, 4);
  return f;
}

TEST(NvEngines, SaxpyViaSendPcasWithQmdReleaseOnHopper) {
  Gpu g("GH100");
  Module m = load_module(g, "sim_basic_sm_90.co");
  Chan c(g, 1);
  c.schedule();
  Mem s = g.alloc(0x1000);
  SaxpyData d = saxpy_data(g, 1000, 2.0f);
  Launch l;
  l.grid = 16;
  l.release = qmd_release(s.va, 77);
  const uint64_t qmd = make_launch(g, m, "saxpy", bytes_of(d.args), l);
  pcas(c, qmd);
  ASSERT_TRUE(wait_for([&] { return load64(s.host()) == 77; }))
      << (c.sink.error_count() ? c.sink.error().second : "");
  EXPECT_NE(load64(s.host() + 8), 0u);  // FOUR_WORDS: timestamp
  for (uint32_t i : {0u, 1u, 500u, 999u}) EXPECT_EQ(at(d.y, i), 2.0f * i + 1.0f) << i;
  EXPECT_EQ(g.engines->launches(), 1u);
  // The same launch again (host-function cache) with INVALIDATE_COPY_SCHEDULE (NVK's action).
  Launch l2 = l;
  l2.release = qmd_release(s.va, 78);
  const uint64_t qmd2 = make_launch(g, m, "saxpy", bytes_of(d.args), l2);
  pcas(c, qmd2, hw::PcasAction::INVALIDATE_COPY_SCHEDULE);
  ASSERT_TRUE(wait_for([&] { return load64(s.host()) == 78; }));
  for (uint32_t i : {3u, 999u}) EXPECT_EQ(at(d.y, i), 2.0f * i + (2.0f * i + 1.0f)) << i;
  EXPECT_EQ(g.engines->launches(), 2u);
  EXPECT_EQ(c.sink.error_count(), 0u);
}

TEST(NvEngines, InlineQmdLaunchStoresTheQmdAndRuns) {
  Gpu g("GH100");
  Module m = load_module(g, "sim_basic_sm_90.co");
  Chan c(g, 1);
  c.schedule();
  Mem s = g.alloc(0x1000);
  Mem out = g.alloc(0x1000);
  FillArgs args{out.va, 0xC0FFEE, 100};
  Launch l;
  l.grid = 2;
  l.release = qmd_release(s.va, 5);
  std::vector<uint32_t> qmd;
  (void)make_launch(g, m, "fill_u32", bytes_of(args), l, &qmd);
  Mem qmd_mem = g.alloc(0x1000);
  Pb p;
  p.pb.append(hw::encode_set_object(p.pb.free_space(), hw::kSubchCompute, c.st->compute_class));
  p.pb.append(hw::encode_inline_qmd(p.pb.free_space(), c.st->compute_class, qmd_mem.va, qmd));
  c.submit(p.done());
  ASSERT_TRUE(wait_for([&] { return load64(s.host()) == 5; }))
      << (c.sink.error_count() ? c.sink.error().second : "");
  EXPECT_EQ(load32(out.host()), 0xC0FFEEu);
  EXPECT_EQ(load32(out.host() + 4 * 99), 0xC0FFEEu);
  EXPECT_EQ(load32(out.host() + 4 * 100), 0u);
  EXPECT_EQ(std::memcmp(qmd_mem.host(), qmd.data(), 4 * qmd.size()), 0);
}

TEST(NvEngines, DependentQmdChainRunsInOrder) {
  Gpu g("GH100");
  Module m = load_module(g, "sim_basic_sm_90.co");
  Chan c(g, 1);
  c.schedule();
  Mem s = g.alloc(0x1000);
  Mem out = g.alloc(0x1000);
  // Three fills of the same words, chained last to first; the last one's value must win.
  Launch l3;
  l3.release = qmd_release(s.va, 3);
  FillArgs a3{out.va, 3, 64};
  const uint64_t q3 = make_launch(g, m, "fill_u32", bytes_of(a3), l3);
  Launch l2;
  l2.dependent = {true, hw::DependentQmdAction::QMD_SCHEDULE, true, q3};
  FillArgs a2{out.va, 2, 64};
  const uint64_t q2 = make_launch(g, m, "fill_u32", bytes_of(a2), l2);
  Launch l1;
  l1.dependent = {true, hw::DependentQmdAction::QMD_SCHEDULE, true, q2};
  FillArgs a1{out.va, 1, 64};
  const uint64_t q1 = make_launch(g, m, "fill_u32", bytes_of(a1), l1);
  pcas(c, q1);
  ASSERT_TRUE(wait_for([&] { return load64(s.host()) == 3; }))
      << (c.sink.error_count() ? c.sink.error().second : "");
  EXPECT_EQ(load32(out.host() + 4 * 63), 3u);
  EXPECT_EQ(g.engines->launches(), 3u);
}

TEST(NvEngines, SaxpyOnAmpereWithQmdV03) {
  Gpu g("GA102");
  Module m = load_module(g, "sim_basic_sm_86.co");
  Chan c(g, 1);
  c.schedule();
  Mem s = g.alloc(0x1000);
  SaxpyData d = saxpy_data(g, 256, 3.0f);
  Launch l;
  l.grid = 4;
  const uint64_t qmd = make_launch(g, m, "saxpy", bytes_of(d.args), l);
  pcas(c, qmd);
  Pb p;  // the completion as a host semaphore this time
  p.pb.append(hw::encode_host_semaphore(p.pb.free_space(), c.st->channel_class,
                                        hw::host_semaphore_release(s.va, 1)));
  c.submit(p.done());
  ASSERT_TRUE(wait_for([&] { return load64(s.host()) == 1; }))
      << (c.sink.error_count() ? c.sink.error().second : "");
  EXPECT_EQ(at(d.y, 255), 3.0f * 255 + 1.0f);
}

// ---- copy engine --------------------------------------------------------------------------------

TEST(NvEngines, CopiesUnalignedMultiPageAcrossObjectsAndMultiLine) {
  Gpu g("GH100");
  Chan c(g, 3);
  c.schedule();
  Mem src = g.alloc(0x3000);
  for (uint32_t i = 0; i < 0x3000; ++i) src.host()[i] = static_cast<uint8_t>(i * 7 + 1);
  // The destination: two objects mapped back to back (one VA range, two Bos).
  const uint64_t dst_va = 0x40000000;
  auto d0 = *Bo::create(0x1000, "d0");
  auto d1 = *Bo::create(0x2000, "d1");
  ASSERT_TRUE(g.vm->map(dst_va, d0, 0, 0x1000, kRead | kWrite).ok());
  ASSERT_TRUE(g.vm->map(dst_va + 0x1000, d1, 0, 0x2000, kRead | kWrite).ok());
  Mem s = g.alloc(0x1000);
  Mem grid = g.alloc(0x1000);
  Pb p;
  p.pb.append(hw::encode_set_object(p.pb.free_space(), hw::kSubchCopy, c.st->copy_class));
  p.pb.append(hw::encode_copy(p.pb.free_space(), c.st->copy_class, dst_va + 3, src.va + 5, 0x2001));
  // Multi-line: 4 lines of 16 bytes, source pitch 100, destination pitch 32.
  const uint32_t ml[] = {static_cast<uint32_t>(src.va >> 32),
                         static_cast<uint32_t>(src.va),
                         static_cast<uint32_t>(grid.va >> 32),
                         static_cast<uint32_t>(grid.va),
                         100,
                         32,
                         16,
                         4};
  p.pb.inc(hw::kSubchCopy, hw::NVC6B5_OFFSET_IN_UPPER, ml);
  hw::CopyLaunchDma l;
  l.data_transfer_type = hw::DataTransferType::NON_PIPELINED;
  l.src_memory_layout = l.dst_memory_layout = hw::MemoryLayout::PITCH;
  l.multi_line_enable = true;
  uint32_t launch = 0;
  ASSERT_TRUE(hw::encode_word(l, c.st->copy_class, launch));
  p.pb.inc(hw::kSubchCopy, hw::NVC6B5_LAUNCH_DMA, {launch});
  p.pb.append(hw::encode_copy_semaphore(p.pb.free_space(), c.st->copy_class,
                                        {s.va, 0x1122334455ull, true, true}));
  c.submit(p.done());
  ASSERT_TRUE(wait_for([&] { return load64(s.host()) == 0x1122334455ull; }))
      << (c.sink.error_count() ? c.sink.error().second : "");
  EXPECT_NE(load64(s.host() + 8), 0u);
  for (uint32_t i = 0; i < 0x2001; ++i) {
    const uint64_t o = 3 + i;
    const uint8_t got = o < 0x1000 ? d0->data()[o] : d1->data()[o - 0x1000];
    ASSERT_EQ(got, src.host()[5 + i]) << i;
  }
  EXPECT_EQ(d0->data()[2], 0);
  EXPECT_EQ(d1->data()[0x1004], 0);
  for (uint32_t line = 0; line < 4; ++line) {
    EXPECT_EQ(std::memcmp(grid.host() + 32 * line, src.host() + 100 * line, 16), 0) << line;
    EXPECT_EQ(grid.host()[32 * line + 16], 0);
  }
}

// ---- errors -------------------------------------------------------------------------------------

void expect_error(Chan& c, uint32_t xid, std::initializer_list<const char*> parts) {
  ASSERT_TRUE(wait_for([&] { return c.sink.error_count() == 1; })) << "no channel error";
  const auto [x, what] = c.sink.error();
  EXPECT_EQ(x, xid) << what;
  for (const char* part : parts)
    EXPECT_NE(what.find(part), std::string::npos) << part << " in: " << what;
  EXPECT_TRUE(c.st->faulted.load());
  std::lock_guard lk(c.st->fault_mu);
  EXPECT_EQ(c.st->fault, what);
}

TEST(NvEngines, PageFaultInKernelIsXid31AndStopsTheChannel) {
  Gpu g("GH100");
  Module m = load_module(g, "sim_basic_sm_90.co");
  Chan c(g, 4);
  c.schedule();
  Mem s = g.alloc(0x1000);
  SaxpyData d = saxpy_data(g, 64, 1.0f);
  d.args.x = 0x7000000000ull;  // nothing mapped there
  Launch l;
  l.release = qmd_release(s.va, 1);
  pcas(c, make_launch(g, m, "saxpy", bytes_of(d.args), l));
  expect_error(c, kXidMmuFault,
               {"ch 4 GPFIFO[0] pb+0x", "SEND_SIGNALING_PCAS2_B", "GPU page fault at 0x7000000000",
                "kernel saxpy", "read, not present"});
  EXPECT_EQ(load64(s.host()), 0u);  // no release after a faulted grid
  EXPECT_EQ(c.gp_get(), 0u);        // GP_GET stays at the failing entry
}

TEST(NvEngines, MalformedGpfifoEntryIsXid43) {
  Gpu g("GH100");
  Chan c(g, 5);
  c.schedule();
  c.submit_raw(c.pb.va);  // LENGTH 0: a control entry
  expect_error(c, kXidPbdmaError, {"ch 5 GPFIFO[0]", "LENGTH 0"});
}

TEST(NvEngines, PushbufferPageFaultIsXid31) {
  Gpu g("GH100");
  Chan c(g, 5);
  c.schedule();
  uint64_t e = 0;
  ASSERT_TRUE(hw::encode_gpfifo_entry({0x7100000000ull, 4}, e));
  c.submit_raw(e);
  expect_error(c, kXidMmuFault, {"GPFIFO[0]", "fetching the pushbuffer", "0x7100000000"});
}

TEST(NvEngines, SetObjectOfAClassNotAllocatedOnTheChannel) {
  Gpu g("GH100");
  Chan c(g, 6);
  c.st->copy_class = 0;
  c.schedule();
  Pb p;
  p.pb.append(hw::encode_set_object(p.pb.free_space(), hw::kSubchCopy, hw::HOPPER_DMA_COPY_A));
  c.submit(p.done());
  expect_error(c, kXidGraphicsException,
               {"ch 6 GPFIFO[0] pb+0x1", "SET_OBJECT", "HOPPER_DMA_COPY_A", "no object"});
}

TEST(NvEngines, WrongQmdVersionIsRefused) {
  Gpu g("GH100");
  Module m = load_module(g, "sim_basic_sm_90.co");
  Chan c(g, 7);
  c.schedule();
  Mem out = g.alloc(0x1000);
  FillArgs args{out.va, 1, 4};
  Launch l;
  l.version = hw::QmdVersion::V03_00;
  pcas(c, make_launch(g, m, "fill_u32", bytes_of(args), l));
  expect_error(c, kXidGraphicsException,
               {"HOPPER_COMPUTE_A.SEND_SIGNALING_PCAS2_B", "QMD at 0x", "V04_00"});
  EXPECT_EQ(load32(out.host()), 0u);
}

TEST(NvEngines, CbufGridMismatchIsRefused) {
  Gpu g("GH100");
  Module m = load_module(g, "sim_basic_sm_90.co");
  Chan c(g, 8);
  c.schedule();
  Mem out = g.alloc(0x1000);
  FillArgs args{out.va, 1, 4};
  Launch l;
  l.grid = 4;
  l.cbuf_grid = 2;
  pcas(c, make_launch(g, m, "fill_u32", bytes_of(args), l));
  expect_error(c, kXidGraphicsException, {"gridDim.x", "is 2", "grid is 4"});
  EXPECT_EQ(g.engines->launches(), 0u);
}

TEST(NvEngines, RealSassIsRefused) {
  Gpu g("GH100");
  Module m = load_module(g, "sim_basic_sm_90.co");
  Chan c(g, 9);
  c.schedule();
  Mem out = g.alloc(0x1000);
  FillArgs args{out.va, 1, 4};
  uint64_t program = g.alloc(0x1000).va;  // zeros: no simulator stub
#ifdef RAWGPU_HAVE_NVCC
  Module real = load_module(g, "basic_sm_90.cubin");
  ASSERT_FALSE(real.cubin.kernels.empty());
  program = real.image.va + real.cubin.kernels[0].code_offset;
#endif
  pcas(c, make_launch(g, m, "fill_u32", bytes_of(args), {}, nullptr, program));
  expect_error(c, kXidGraphicsException, {"not a simulator kernel", "real SASS"});
  EXPECT_EQ(g.engines->launches(), 0u);
}

TEST(NvEngines, HopperSharedWindowMustBe4GiBAligned) {
  Gpu g("GH100");
  Module m = load_module(g, "sim_basic_sm_90.co");
  Chan c(g, 11);
  c.schedule();
  Mem out = g.alloc(0x1000);
  FillArgs args{out.va, 1, 4};
  const uint64_t qmd = make_launch(g, m, "fill_u32", bytes_of(args), {});
  Pb p;
  p.pb.append(hw::encode_set_object(p.pb.free_space(), hw::kSubchCompute, c.st->compute_class));
  p.pb.append(hw::encode_address_pair(p.pb.free_space(), c.st->compute_class, hw::kSubchCompute,
                                      hw::NVC6C0_SET_SHADER_SHARED_MEMORY_WINDOW_A,
                                      0x729400001000ull));
  p.pb.append(hw::encode_send_pcas(p.pb.free_space(), c.st->compute_class, qmd,
                                   hw::PcasAction::INVALIDATE_COPY_SCHEDULE));
  c.submit(p.done());
  expect_error(c, kXidGraphicsException, {"shared memory window 0x729400001000", "4 GiB"});
}

TEST(NvEngines, CopyRefusesBlockLinearAndPhysical) {
  Gpu g("GH100");
  Chan c(g, 12);
  c.schedule();
  hw::CopyLaunchDma l;
  l.data_transfer_type = hw::DataTransferType::NON_PIPELINED;
  l.src_memory_layout = hw::MemoryLayout::PITCH;  // destination stays BLOCKLINEAR
  uint32_t launch = 0;
  ASSERT_TRUE(hw::encode_word(l, c.st->copy_class, launch));
  Pb p;
  p.pb.append(hw::encode_set_object(p.pb.free_space(), hw::kSubchCopy, c.st->copy_class));
  p.pb.inc(hw::kSubchCopy, hw::NVC6B5_LAUNCH_DMA, {launch});
  c.submit(p.done());
  expect_error(c, kXidGraphicsException, {"HOPPER_DMA_COPY_A.LAUNCH_DMA", "block-linear"});
}

TEST(NvEngines, RemoveWhileStalledReturnsPromptly) {
  Gpu g("GH100");
  auto c = std::make_unique<Chan>(g, 10);
  c->schedule();
  Mem s = g.alloc(0x1000);
  Pb p;
  p.pb.append(hw::encode_host_semaphore(p.pb.free_space(), c->st->channel_class,
                                        hw::host_semaphore_acquire(s.va, 1)));
  c->submit(p.done());
  ASSERT_TRUE(wait_for([&] { return g.engines->methods_executed() >= 4; }));
  const auto t0 = std::chrono::steady_clock::now();
  g.engines->remove(c->st.get());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 200ms);
  EXPECT_EQ(c->gp_get(), 0u);
  store64(s.host(), 1);  // nothing runs any more
  std::this_thread::sleep_for(5ms);
  EXPECT_EQ(c->gp_get(), 0u);
  EXPECT_EQ(c->sink.error_count(), 0u);
}

}  // namespace
}  // namespace rawgpu::sim::nv

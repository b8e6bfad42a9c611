// The simulated nvidia.ko / nvidia-uvm.ko, driven through the typed wrappers of nv_ioctl/ioctl.h
// on Machine::sys(): tinygrad's bring-up (shared/abi/nvidia.md §3) end to end on each profile and
// driver branch, and every validation rule the simulator enforces, with RM's status or errno.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "nv_ioctl/describe.h"
#include "nv_ioctl/ioctl.h"
#include "nv_ioctl/status.h"
#include "sim/nv/machine.h"

namespace {

namespace rnv = rawgpu::nv;
using namespace rawgpu::nv;  // ABI structs, classes, status codes, wrappers
using SimChannel = rawgpu::sim::nv::ChannelState;
using rawgpu::sim::nv::Machine;
using rawgpu::sim::nv::MachineOptions;

#define ASSERT_OK(expr)                                            \
  do {                                                             \
    auto&& r_ = (expr);                                            \
    ASSERT_TRUE(r_.ok()) << #expr << ": " << r_.error().message(); \
  } while (0)

// The call failed with in-band status `st`.
template <typename R>
::testing::AssertionResult has_status(const R& r, uint32_t st) {
  if (r.ok()) return ::testing::AssertionFailure() << "succeeded, expected " << nv_status_name(st);
  if (r.error().status() != st)
    return ::testing::AssertionFailure()
           << r.error().message() << " (expected " << nv_status_name(st) << ")";
  return ::testing::AssertionSuccess();
}
// The call failed with errno `e`.
template <typename R>
::testing::AssertionResult has_errno(const R& r, int e) {
  if (r.ok()) return ::testing::AssertionFailure() << "succeeded, expected errno " << e;
  if (r.error().err() != e) return ::testing::AssertionFailure() << r.error().message();
  return ::testing::AssertionSuccess();
}

constexpr uint32_t kVidmemFlags = 0x1C101;  // tinygrad (§3.4)
constexpr uint32_t kSysmemFlags = 0xC101;
constexpr uint32_t kOsDescFlags = 0x40001010;

std::unique_ptr<Machine> make(const std::string& profile = "GH100",
                              const std::string& version = "580.95.05") {
  MachineOptions o;
  o.profiles = {profile};
  o.driver_version = version;
  auto m = Machine::create(o);
  EXPECT_TRUE(m.ok()) << m.error().message();
  return std::move(m).value();
}

// One process's view of one simulated GPU, brought up as tinygrad does (§3.1-§3.6).
struct Proc {
  Machine& m;
  rawgpu::core::Sys& sys;
  NvAbi abi;
  const rawgpu::sim::nv::SimNvGpu& gpu;
  int ctl = -1, uvm = -1, uvm2 = -1, dev = -1;
  uint32_t root = 0, device = 0, subdevice = 0, virtmem = 0, usermode = 0, vaspace = 0, tsg = 0,
           ctxshare = 0;
  NvProcessorUuid uuid{};
  void* mmio = nullptr;
  // A PROT_NONE reservation the test carves CPU/GPU VAs from (keeps clear of ASan's shadow).
  uint8_t* arena = nullptr;
  uint64_t arena_size = 1ull << 30, arena_used = 0;

  explicit Proc(Machine& mm) : m(mm), sys(mm.sys()), gpu(*mm.gpus()[0]) {
    auto v = rnv::parse_driver_version(mm.driver_version());
    abi = *rnv::select_abi(*v);
    auto r = sys.mmap(nullptr, arena_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
    arena = static_cast<uint8_t*>(r.addr);
  }
  ~Proc() {
    for (int fd : {dev, uvm2, uvm, ctl})
      if (fd >= 0) sys.close(fd);
    if (arena != nullptr) sys.munmap(arena, arena_size);
  }
  uint64_t take_va(uint64_t size, uint64_t align = 2ull << 20) {
    uint64_t base = reinterpret_cast<uint64_t>(arena);
    uint64_t va = (base + arena_used + align - 1) & ~(align - 1);
    arena_used = va + size - base;
    EXPECT_LE(arena_used, arena_size);
    return va;
  }

  void open_all() {
    ctl = sys.open(kNvidiactlPath, O_RDWR | O_CLOEXEC);
    uvm = sys.open("/dev/nvidia-uvm", O_RDWR | O_CLOEXEC);
    uvm2 = sys.open("/dev/nvidia-uvm", O_RDWR | O_CLOEXEC);
    ASSERT_GE(ctl, 0);
    ASSERT_GE(uvm, 0);
    ASSERT_GE(uvm2, 0);
  }

  // §3.1 and §3.2 up to the TSG and ctxshare.
  void bring_up() {
    ASSERT_NO_FATAL_FAILURE(open_all());
    auto c = rm_alloc(sys, ctl, 0, 0, 0, NV01_ROOT_CLIENT);
    ASSERT_OK(c);
    root = *c;
    auto ver = get_build_version(sys, ctl, root);
    ASSERT_OK(ver);
    EXPECT_EQ(ver->major, abi.branch);
    ASSERT_OK(uvm_initialize(sys, uvm));
    ASSERT_OK(uvm_mm_initialize(sys, uvm2, uvm));
    auto cards = card_info(sys, ctl);
    ASSERT_OK(cards);
    ASSERT_EQ(cards->size(), m.gpus().size());
    const nv_ioctl_card_info_t ci = (*cards)[0];
    dev = sys.open(gpu_node_path(ci.minor_number).c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(dev, 0);
    ASSERT_OK(register_fd(sys, dev, ctl));
    NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS id{};
    id.gpuId = ci.gpu_id;
    ASSERT_OK(rm_control(sys, ctl, root, root, NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2, rm_params(id)));
    NV0080_ALLOC_PARAMETERS dp{};
    dp.deviceId = id.deviceInstance;
    dp.hClientShare = root;
    auto d = rm_alloc(sys, ctl, root, root, 0, NV01_DEVICE_0, rm_params(dp));
    ASSERT_OK(d);
    device = *d;
    NV2080_ALLOC_PARAMETERS sp{};
    auto s = rm_alloc(sys, ctl, root, device, 0, NV20_SUBDEVICE_0, rm_params(sp));
    ASSERT_OK(s);
    subdevice = *s;
    NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS vp{};
    vp.limit = 0x1FFFFFFFFFFFFull;
    auto vm = rm_alloc(sys, ctl, root, device, 0, NV01_MEMORY_VIRTUAL, rm_params(vp));
    ASSERT_OK(vm);
    virtmem = *vm;
    // Class list, two-call form.
    NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS cl{};
    ASSERT_OK(rm_control(sys, ctl, root, device, NV0080_CTRL_CMD_GPU_GET_CLASSLIST, rm_params(cl)));
    std::vector<uint32_t> classes(cl.numClasses);
    cl.classList = reinterpret_cast<uintptr_t>(classes.data());
    ASSERT_OK(rm_control(sys, ctl, root, device, NV0080_CTRL_CMD_GPU_GET_CLASSLIST, rm_params(cl)));
    EXPECT_NE(std::find(classes.begin(), classes.end(), gpu.profile->usermode_class),
              classes.end());
    // Usermode + its CPU mapping (the doorbell page).
    auto um = rm_alloc(sys, ctl, root, subdevice, 0, gpu.profile->usermode_class);
    ASSERT_OK(um);
    usermode = *um;
    CpuMapRequest mr;
    mr.node = gpu_node_path(gpu.minor);
    mr.map =
        MapMemoryArgs{.hClient = root, .hDevice = device, .hMemory = usermode, .length = 0x10000};
    auto mm = rm_map_to_cpu(sys, ctl, mr);
    ASSERT_OK(mm);
    mmio = mm->addr;
    NV2080_CTRL_PERF_BOOST_PARAMS boost{0x52, 0xFFFFFFFF};
    ASSERT_OK(rm_control(sys, ctl, root, subdevice, NV2080_CTRL_CMD_PERF_BOOST, rm_params(boost)));
    ASSERT_NO_FATAL_FAILURE(alloc_vaspace(0x48, &vaspace));
    NV2080_CTRL_GPU_GET_GID_INFO_PARAMS gid{};
    gid.flags = NV2080_GPU_CMD_GPU_GET_GID_FLAGS_FORMAT_BINARY;
    gid.length = 16;
    ASSERT_OK(
        rm_control(sys, ctl, root, subdevice, NV2080_CTRL_CMD_GPU_GET_GID_INFO, rm_params(gid)));
    std::memcpy(uuid.uuid, gid.data, 16);
    ASSERT_OK(uvm_register_gpu(sys, uvm, uuid));
    ASSERT_OK(uvm_register_gpu_vaspace(sys, uvm, uuid, ctl, root, vaspace));
    NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS gp{};
    gp.engineType = NV2080_ENGINE_TYPE_GRAPHICS;
    auto t = rm_alloc(sys, ctl, root, device, 0, KEPLER_CHANNEL_GROUP_A, rm_params(gp));
    ASSERT_OK(t);
    tsg = *t;
    NV_CTXSHARE_ALLOCATION_PARAMETERS cs{};
    cs.hVASpace = vaspace;
    cs.flags = NV_CTXSHARE_ALLOCATION_FLAGS_SUBCONTEXT_ASYNC;
    auto x = rm_alloc(sys, ctl, root, tsg, 0, FERMI_CONTEXT_SHARE_A, rm_params(cs));
    ASSERT_OK(x);
    ctxshare = *x;
  }

  void alloc_vaspace(uint32_t flags, uint32_t* out) {
    NV_VASPACE_ALLOCATION_PARAMETERS_V580 p{};
    p.flags = flags;
    p.vaSize = 0x1FFFFFB000000ull;
    p.vaBase = 0x1000;
    RmParams rp = rm_params(p);
    if (!abi.vaspace_v580) rp.size = sizeof(NV_VASPACE_ALLOCATION_PARAMETERS);
    auto v = rm_alloc(sys, ctl, root, device, 0, FERMI_VASPACE_A, rp);
    ASSERT_OK(v);
    *out = *v;
  }

  struct Mem {
    uint32_t h = 0;
    uint64_t va = 0, size = 0;
  };
  // tinygrad's alloc(): RM memory, CPU mapping at the GPU VA, UVM range + mapping (§3.4/§3.5).
  Mem alloc(uint64_t size, bool vidmem, bool cpu_map, bool contiguous = false) {
    Mem mem;
    mem.size = size;
    NV_MEMORY_ALLOCATION_PARAMS p{};
    p.owner = root;
    p.type = vidmem ? NVOS32_TYPE_IMAGE : NVOS32_TYPE_NOTIFIER;
    p.flags = vidmem ? kVidmemFlags : kSysmemFlags;
    p.attr = (contiguous ? 2u : 3u) << 27;
    if (!vidmem) p.attr |= 1u << 25;  // LOCATION_PCI
    p.attr2 = vidmem ? 0x5 : 0x9;
    p.format = 6;
    p.size = size;
    p.alignment = 4096;
    p.limit = size - 1;
    auto h = rm_alloc(sys, ctl, root, device, 0,
                      vidmem ? NV01_MEMORY_LOCAL_USER : NV01_MEMORY_SYSTEM, rm_params(p));
    EXPECT_TRUE(h.ok()) << h.error().message();
    if (!h.ok()) return mem;
    mem.h = *h;
    mem.va = take_va(size);
    if (cpu_map) {
      CpuMapRequest r;
      r.node = vidmem ? gpu_node_path(gpu.minor) : std::string(kNvidiactlPath);
      r.register_node_fd = vidmem;
      r.map = MapMemoryArgs{.hClient = root, .hDevice = device, .hMemory = mem.h, .length = size};
      r.addr = reinterpret_cast<void*>(mem.va);
      r.fixed = true;
      auto c = rm_map_to_cpu(sys, ctl, r);
      EXPECT_TRUE(c.ok()) << c.error().message();
    }
    auto s = uvm_create_external_range(sys, uvm, mem.va, size);
    EXPECT_TRUE(s.ok()) << s.error().message();
    s = map_uvm(mem.h, mem.va, size);
    EXPECT_TRUE(s.ok()) << s.error().message();
    return mem;
  }
  rawgpu::core::Status map_uvm(uint32_t hMemory, uint64_t va, uint64_t size, uint64_t offset = 0) {
    UvmGpuMappingAttributes at{};
    at.gpuUuid = uuid;
    at.gpuMappingType = UvmGpuMappingTypeReadWriteAtomic;
    MapExternalArgs a{.base = va,
                      .length = size,
                      .offset = offset,
                      .gpus = {&at, 1},
                      .rm_ctrl_fd = ctl,
                      .hClient = root,
                      .hMemory = hMemory};
    return uvm_map_external_allocation(sys, uvm, a);
  }

  // Host memory through an OS descriptor (§3.4 "Host memory").
  Mem host(uint64_t size, uint32_t handle) {
    Mem mem;
    mem.size = size;
    mem.va = take_va(size);
    auto r = sys.mmap(reinterpret_cast<void*>(mem.va), size, PROT_READ | PROT_WRITE,
                      MAP_FIXED | MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(r.addr, nullptr);
    AllocMemoryArgs a;
    a.hRoot = root;
    a.hParent = device;
    a.hObject = handle;
    a.flags = kOsDescFlags;
    a.pMemory = mem.va;
    a.limit = size - 1;
    auto h = rm_alloc_memory(sys, dev, a);
    EXPECT_TRUE(h.ok()) << h.error().message();
    mem.h = handle;
    EXPECT_TRUE(uvm_create_external_range(sys, uvm, mem.va, size).ok());
    EXPECT_TRUE(map_uvm(mem.h, mem.va, size).ok());
    return mem;
  }

  RmParams channel_params(NV_CHANNEL_ALLOC_PARAMS& p, NV_CHANNEL_ALLOC_PARAMS_V610& q) {
    if (!abi.channel_alloc_v610) return rm_params(p);
    q = {};
    q.hObjectError = p.hObjectError;
    q.hObjectBuffer = p.hObjectBuffer;
    q.gpFifoOffset = p.gpFifoOffset;
    q.gpFifoEntries = p.gpFifoEntries;
    q.flags = p.flags;
    q.hContextShare = p.hContextShare;
    q.hVASpace = p.hVASpace;
    q.hUserdMemory[0] = p.hUserdMemory[0];
    q.userdOffset[0] = p.userdOffset[0];
    q.engineType = p.engineType;
    return rm_params(q);
  }

  // _new_gpu_fifo (§3.6): notifier, channel, engine object, token, UVM_REGISTER_CHANNEL.
  struct Channel {
    uint32_t h = 0, engine = 0, token = 0;
    Mem notifier;
  };
  Channel channel(const Mem& area, uint64_t offset, bool compute) {
    Channel ch;
    ch.notifier = alloc(48ull << 20, false, false);
    NV_CHANNEL_ALLOC_PARAMS p{};
    NV_CHANNEL_ALLOC_PARAMS_V610 q{};
    p.hObjectError = ch.notifier.h;
    p.hObjectBuffer = area.h;
    p.gpFifoOffset = area.va + offset;
    p.gpFifoEntries = 0x10000;
    p.hContextShare = ctxshare;
    p.hUserdMemory[0] = area.h;
    p.userdOffset[0] = offset + 0x10000 * 8;
    auto h = rm_alloc(sys, ctl, root, tsg, 0, gpu.profile->gpfifo_class, channel_params(p, q));
    EXPECT_TRUE(h.ok()) << h.error().message();
    ch.h = *h;
    auto e = rm_alloc(sys, ctl, root, ch.h, 0,
                      compute ? gpu.profile->compute_class : gpu.profile->copy_class);
    EXPECT_TRUE(e.ok()) << e.error().message();
    ch.engine = *e;
    NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS tok{0xFFFFFFFF};
    EXPECT_TRUE(rm_control(sys, ctl, root, ch.h, NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN,
                           rm_params(tok))
                    .ok());
    ch.token = tok.workSubmitToken;
    const uint64_t base = take_va(0x4000000);
    auto s = uvm_register_channel(sys, uvm, uuid, ctl, root, ch.h, base, 0x4000000);
    EXPECT_TRUE(s.ok()) << s.error().message();
    return ch;
  }

  rawgpu::core::Status schedule(bool enable = true) {
    NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575 p{};
    p.bEnable = enable;
    RmParams rp = rm_params(p);
    if (!abi.gpfifo_schedule_v575) rp.size = sizeof(NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS);
    return rm_control(sys, ctl, root, tsg, NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, rp);
  }
};

// ---------------------------------------------------------------------------------------------
// The whole bring-up and teardown, per profile and driver branch.

struct BringUpCase {
  const char* profile;
  const char* version;
};
class NvBringUp : public ::testing::TestWithParam<BringUpCase> {};

TEST_P(NvBringUp, TinygradSequenceRunsAndTearsDownToNothing) {
  auto m = make(GetParam().profile, GetParam().version);
  {
    Proc p(*m);
    ASSERT_NO_FATAL_FAILURE(p.bring_up());
    Proc::Mem area = p.alloc(0x300000, true, true, true);
    Proc::Mem host = p.host(0x4000, 0x1001);
    Proc::Channel compute = p.channel(area, 0, true);
    Proc::Channel dma = p.channel(area, 0x100000, false);
    EXPECT_NE(compute.token, dma.token);
    ASSERT_OK(p.schedule());
    // GR_GET_INFO: the profile's numbers.
    NV2080_CTRL_GR_INFO info[5] = {{NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_GPCS, 0},
                                   {NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC, 0},
                                   {NV2080_CTRL_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC, 0},
                                   {NV2080_CTRL_GR_INFO_INDEX_MAX_WARPS_PER_SM, 0},
                                   {NV2080_CTRL_GR_INFO_INDEX_SM_VERSION, 0}};
    NV2080_CTRL_GR_GET_INFO_PARAMS gi{};
    gi.grInfoListSize = 5;
    gi.grInfoList = reinterpret_cast<uintptr_t>(info);
    ASSERT_OK(
        rm_control(p.sys, p.ctl, p.root, p.subdevice, NV2080_CTRL_CMD_GR_GET_INFO, rm_params(gi)));
    EXPECT_EQ(info[0].data, p.gpu.profile->num_gpcs);
    EXPECT_EQ(info[1].data, p.gpu.profile->tpc_per_gpc);
    EXPECT_EQ(info[2].data, p.gpu.profile->sm_per_tpc);
    EXPECT_EQ(info[3].data, p.gpu.profile->max_warps_per_sm);
    EXPECT_EQ(info[4].data, p.gpu.profile->sm_version);

    // The channel as the engines see it: ring, USERD, VA space shared with the CPU mapping.
    std::shared_ptr<SimChannel> cs = m->channel(p.root, compute.h);
    ASSERT_NE(cs, nullptr);
    EXPECT_EQ(cs->gpfifo_va, area.va);
    EXPECT_EQ(cs->gpfifo_entries, 0x10000u);
    EXPECT_EQ(cs->work_submit_token, compute.token);
    EXPECT_EQ(cs->channel_class, p.gpu.profile->gpfifo_class);
    EXPECT_EQ(cs->compute_class, p.gpu.profile->compute_class);
    EXPECT_EQ(cs->copy_class, 0u);
    EXPECT_EQ(m->channel(p.root, dma.h)->copy_class, p.gpu.profile->copy_class);
    auto* cpu = reinterpret_cast<uint32_t*>(area.va + 0x80000 + 0x8C);  // GP_PUT in USERD
    *cpu = 0x1234;
    EXPECT_EQ(reinterpret_cast<uint32_t*>(cs->userd)[0x8C / 4], 0x1234u);
    rawgpu::sim::GpuFault f{};
    uint8_t* g = cs->vm->translate(area.va + 0x80000 + 0x8C, 4, rawgpu::sim::kRead, &f);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(*reinterpret_cast<uint32_t*>(g), 0x1234u);
    // Host memory reached through the same VA space.
    reinterpret_cast<uint64_t*>(host.va)[1] = 0xfeedface;
    g = cs->vm->translate(host.va + 8, 8, rawgpu::sim::kRead | rawgpu::sim::kWrite, &f);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(*reinterpret_cast<uint64_t*>(g), 0xfeedfaceu);
    // The doorbell page is the GPU's usermode Bo (checked away from the doorbell word at 0x90,
    // which the engines consume as soon as they see it).
    static_cast<volatile uint32_t*>(p.mmio)[0x100 / 4] = compute.token;
    EXPECT_EQ(reinterpret_cast<uint32_t*>(p.gpu.usermode->data())[0x100 / 4], compute.token);
    EXPECT_GT(m->rm_object_count(), 10u);
    EXPECT_GT(p.gpu.vram_used.load(), 0u);

    // Teardown in reverse (tinygrad order: RM free, then UVM free).
    ASSERT_OK(uvm_unregister_channel(p.sys, p.uvm, p.abi, p.uuid, p.root, dma.h));
    ASSERT_OK(uvm_unregister_channel(p.sys, p.uvm, p.abi, p.uuid, p.root, compute.h));
    ASSERT_OK(p.schedule(false));
    ASSERT_OK(rm_free(p.sys, p.ctl, p.root, p.device, p.tsg));
    EXPECT_EQ(m->channel(p.root, compute.h), nullptr);
    for (const Proc::Mem* mm : {&area, &host, &compute.notifier, &dma.notifier}) {
      ASSERT_OK(rm_free(p.sys, p.ctl, p.root, p.device, mm->h));
      ASSERT_OK(uvm_free(p.sys, p.uvm, p.abi, mm->va, mm->size));
    }
    EXPECT_EQ(cs->vm->mappings(), 0u);
    EXPECT_EQ(p.gpu.vram_used.load(), 0u);
    ASSERT_OK(uvm_unregister_gpu_vaspace(p.sys, p.uvm, p.uuid));
    ASSERT_OK(uvm_unregister_gpu(p.sys, p.uvm, p.uuid));
    ASSERT_OK(rm_free(p.sys, p.ctl, p.root, p.root, p.root));
    EXPECT_EQ(m->rm_object_count(), 0u);
    cs.reset();  // the test's own reference on the channel (and its USERD)
    EXPECT_EQ(m->live_bo_count(), 0u);
  }
  EXPECT_EQ(m->rm_object_count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Branches, NvBringUp,
                         ::testing::Values(BringUpCase{"GH100", "580.95.05"},
                                           BringUpCase{"GA102", "570.133.07"},
                                           BringUpCase{"GH100", "610.43.03"},
                                           BringUpCase{"GA102", "595.45.04"}),
                         [](const auto& tp) {
                           std::string s = std::string(tp.param.profile) + "_" + tp.param.version;
                           std::replace(s.begin(), s.end(), '.', '_');
                           return s;
                         });

TEST(NvRm, ClosingTheControlFdFreesEverything) {
  auto m = make();
  {
    Proc p(*m);
    ASSERT_NO_FATAL_FAILURE(p.bring_up());
    Proc::Mem area = p.alloc(0x300000, true, true, true);
    p.channel(area, 0, true);
    ASSERT_OK(p.schedule());
    EXPECT_GT(m->live_bo_count(), 0u);
  }  // every fd closed, nothing freed explicitly
  EXPECT_EQ(m->rm_object_count(), 0u);
  EXPECT_EQ(m->live_bo_count(), 0u);
  EXPECT_EQ(m->gpus()[0]->vram_used.load(), 0u);
}

TEST(NvRm, MachineGoesAwayWithFilesStillOpen) {
  auto m = make();
  auto* p = new Proc(*m);
  ASSERT_NO_FATAL_FAILURE(p->bring_up());
  Proc::Mem area = p->alloc(0x300000, true, true, true);
  p->channel(area, 0, true);
  ASSERT_OK(p->schedule());
  const int ctl = p->ctl;
  p->ctl = p->uvm = p->uvm2 = p->dev = -1;  // leave every fd open
  rawgpu::core::Sys& sys = m->sys();
  (void)ctl;
  sys.munmap(p->arena, p->arena_size);
  p->arena = nullptr;
  delete p;
  m.reset();  // closes the files, frees the clients, stops the engines
}

// ---------------------------------------------------------------------------------------------
// Machine, procfs, sysfs.

TEST(NvMachine, RefusesUnknownProfileAndBranch) {
  MachineOptions o;
  o.profiles = {"GX999"};
  auto m = Machine::create(o);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message().find("GH100"), std::string::npos);
  o.profiles = {"GH100"};
  o.driver_version = "560.35.03";
  EXPECT_FALSE(Machine::create(o).ok());
  o.driver_version = "570.86.10";  // before tpcConfigID
  EXPECT_FALSE(Machine::create(o).ok());
}

TEST(NvMachine, ProcAndSysFiles) {
  MachineOptions o;
  o.profiles = {"GH100", "GA102"};
  auto mr = Machine::create(o);
  ASSERT_OK(mr);
  Machine& m = **mr;
  rawgpu::core::Sys& sys = m.sys();
  auto v = read_driver_version(sys);
  ASSERT_OK(v);
  EXPECT_EQ(v->text, "580.95.05");
  auto info = sys.read_file("/proc/driver/nvidia/gpus/0000:42:00.0/information");
  ASSERT_OK(info);
  EXPECT_NE(info->find("NVIDIA GeForce RTX 3090"), std::string::npos);
  EXPECT_NE(info->find("GPU UUID: \t GPU-"), std::string::npos);
  EXPECT_EQ(*sys.read_file("/sys/bus/pci/devices/0000:41:00.0/device"), "0x2335\n");
  EXPECT_EQ(*sys.read_file("/sys/bus/pci/devices/0000:41:00.0/class"), "0x030200\n");
  const int ctl = sys.open(kNvidiactlPath, O_RDWR);
  auto cards = card_info(sys, ctl, 4);
  ASSERT_OK(cards);
  ASSERT_EQ(cards->size(), 2u);
  EXPECT_EQ((*cards)[1].minor_number, 1u);
  EXPECT_EQ((*cards)[1].pci_info.device_id, 0x2204);
  EXPECT_EQ((*cards)[0].gpu_id, 0x4100u);
  EXPECT_NE(std::memcmp(m.gpus()[0]->uuid, m.gpus()[1]->uuid, 16), 0);
  sys.close(ctl);
}

// ---------------------------------------------------------------------------------------------
// Escapes.

TEST(NvEscape, SizesPointersAndUnknownNumbers) {
  auto m = make("GH100", "595.45.04");
  rawgpu::core::Sys& sys = m->sys();
  const int ctl = sys.open(kNvidiactlPath, O_RDWR);
  NVOS54_PARAMETERS p{};
  // NVOS54 sent with a 28-byte size: -EINVAL before RM sees it.
  const unsigned long bad =
      rawgpu::core::ioc(rawgpu::core::IoctlDir::kReadWrite, NV_IOCTL_MAGIC, NV_ESC_RM_CONTROL, 28);
  EXPECT_EQ(sys.ioctl(ctl, bad, &p), -EINVAL);
  // Unknown escape number.
  EXPECT_EQ(sys.ioctl(ctl, rawgpu::core::ioc(rawgpu::core::IoctlDir::kReadWrite, 'F', 0x77, 8), &p),
            -EINVAL);
  // The escape struct behind an unmapped pointer.
  EXPECT_EQ(sys.ioctl(ctl, NvIoctlRow<NvIoctl::RM_CONTROL>::request, reinterpret_cast<void*>(0x10)),
            -EFAULT);
  // NVOS46 of the wrong branch: 56 bytes on a 580+ driver.
  NVOS46_PARAMETERS old{};
  EXPECT_EQ(sys.ioctl(ctl, NvIoctlRow<NvIoctl::RM_MAP_MEMORY_DMA>::request, &old), -EINVAL);
  // CARD_INFO: not a multiple of 72.
  uint8_t buf[100] = {};
  EXPECT_EQ(
      sys.ioctl(ctl,
                rawgpu::core::ioc(rawgpu::core::IoctlDir::kReadWrite, 'F', NV_ESC_CARD_INFO, 100),
                buf),
      -EINVAL);
  // NV_ESC_RM_ALLOC in its 48-byte NVOS64 form allocates like NVOS21.
  NVOS64_PARAMETERS p64{};
  p64.hClass = NV01_ROOT_CLIENT;
  ASSERT_EQ(sys.ioctl(ctl, NvIoctlRow<NvIoctl::RM_ALLOC_NVOS64>::request, &p64), 0);
  EXPECT_EQ(p64.status, NV_OK);
  EXPECT_NE(p64.hObjectNew, 0u);
  EXPECT_EQ(m->rm_object_count(), 1u);
  // RM_ALLOC_MEMORY is a GPU-node escape.
  AllocMemoryArgs am;
  EXPECT_TRUE(has_errno(rm_alloc_memory(sys, ctl, am), EINVAL));
  sys.close(ctl);
}

TEST(NvEscape, CheckVersionStr) {
  auto m = make();
  rawgpu::core::Sys& sys = m->sys();
  const int ctl = sys.open(kNvidiactlPath, O_RDWR);
  auto q = query_driver_version(sys, ctl);
  ASSERT_OK(q);
  EXPECT_EQ(q->text, "580.95.05");
  ASSERT_OK(check_version_str(sys, ctl, NV_RM_API_VERSION_CMD_STRICT, "580.95.05"));
  EXPECT_TRUE(
      has_errno(check_version_str(sys, ctl, NV_RM_API_VERSION_CMD_STRICT, "580.65.06"), EINVAL));
  ASSERT_OK(check_version_str(sys, ctl, NV_RM_API_VERSION_CMD_RELAXED, "580.65.06"));
  EXPECT_TRUE(
      has_errno(check_version_str(sys, ctl, NV_RM_API_VERSION_CMD_RELAXED, "570.1"), EINVAL));
  auto d = detect_abi(sys, ctl);
  ASSERT_OK(d);
  EXPECT_TRUE(d->vaspace_v580);
  sys.close(ctl);
}

TEST(NvEscape, RegisterFdAndAttach) {
  auto m = make();
  rawgpu::core::Sys& sys = m->sys();
  const int ctl = sys.open(kNvidiactlPath, O_RDWR);
  const int dev = sys.open("/dev/nvidia0", O_RDWR);
  const int dev2 = sys.open("/dev/nvidia0", O_RDWR);
  EXPECT_TRUE(has_errno(register_fd(sys, dev, 12345), EINVAL));  // not an open fd
  EXPECT_TRUE(has_errno(register_fd(sys, dev, dev2), EINVAL));   // not a control fd
  EXPECT_TRUE(has_errno(register_fd(sys, ctl, ctl), EINVAL));    // itself
  ASSERT_OK(register_fd(sys, dev, ctl));
  EXPECT_TRUE(has_errno(register_fd(sys, dev, ctl), EINVAL));  // twice
  const uint32_t ids[] = {m->gpus()[0]->gpu_id};
  ASSERT_OK(attach_gpus_to_fd(sys, ctl, ids));
  EXPECT_TRUE(has_errno(attach_gpus_to_fd(sys, ctl, ids), EINVAL));  // once per fd
  const uint32_t bogus[] = {0xdead};
  const int ctl2 = sys.open(kNvidiactlPath, O_RDWR);
  EXPECT_TRUE(has_errno(attach_gpus_to_fd(sys, ctl2, bogus), EINVAL));
  EXPECT_TRUE(has_errno(attach_gpus_to_fd(sys, dev2, ids), EINVAL));  // control node only
  for (int fd : {ctl, ctl2, dev, dev2}) sys.close(fd);
}

// ---------------------------------------------------------------------------------------------
// The RM object model.

TEST(NvRm, HandlesParentsClassesAndDuplicates) {
  auto m = make();
  Proc p(*m);
  ASSERT_NO_FATAL_FAILURE(p.open_all());
  auto& sys = p.sys;
  auto c = rm_alloc(sys, p.ctl, 0, 0, 0, NV01_ROOT_CLIENT);
  ASSERT_OK(c);
  p.root = *c;
  EXPECT_EQ(p.root & 0xFFF00000u, 0xC1D00000u);
  // A caller-chosen client handle, then the same again.
  ASSERT_OK(rm_alloc(sys, p.ctl, 0, 0, 0xC1E00001, NV01_ROOT));
  EXPECT_TRUE(has_status(rm_alloc(sys, p.ctl, 0, 0, 0xC1E00001, NV01_ROOT_CLIENT),
                         NV_ERR_INSERT_DUPLICATE_NAME));
  NV0080_ALLOC_PARAMETERS dp{};
  dp.deviceId = 7;  // no such device instance
  EXPECT_TRUE(has_status(rm_alloc(sys, p.ctl, p.root, p.root, 0, NV01_DEVICE_0, rm_params(dp)),
                         NV_ERR_INVALID_ARGUMENT));
  dp.deviceId = 0;
  auto d = rm_alloc(sys, p.ctl, p.root, p.root, 0x5000, NV01_DEVICE_0, rm_params(dp));
  ASSERT_OK(d);
  p.device = *d;
  EXPECT_EQ(p.device, 0x5000u);
  NV2080_ALLOC_PARAMETERS sp{};
  EXPECT_TRUE(
      has_status(rm_alloc(sys, p.ctl, p.root, p.device, 0x5000, NV20_SUBDEVICE_0, rm_params(sp)),
                 NV_ERR_INSERT_DUPLICATE_NAME));
  EXPECT_TRUE(has_status(rm_alloc(sys, p.ctl, p.root, 0x9999, 0, NV20_SUBDEVICE_0, rm_params(sp)),
                         NV_ERR_INVALID_OBJECT_PARENT));
  EXPECT_TRUE(
      has_status(rm_alloc(sys, p.ctl, 0xC1DFFFFF, p.device, 0, NV20_SUBDEVICE_0, rm_params(sp)),
                 NV_ERR_INVALID_CLIENT));
  // Usermode belongs under the subdevice, not the device.
  EXPECT_TRUE(has_status(rm_alloc(sys, p.ctl, p.root, p.device, 0, HOPPER_USERMODE_A),
                         NV_ERR_INVALID_OBJECT_PARENT));
  // A class this GPU does not have, and one nobody has.
  EXPECT_TRUE(has_status(rm_alloc(sys, p.ctl, p.root, p.device, 0, BLACKWELL_USERMODE_A),
                         NV_ERR_INVALID_OBJECT_PARENT));
  auto s = rm_alloc(sys, p.ctl, p.root, p.device, 0, NV20_SUBDEVICE_0, rm_params(sp));
  ASSERT_OK(s);
  p.subdevice = *s;
  EXPECT_TRUE(has_status(rm_alloc(sys, p.ctl, p.root, p.subdevice, 0, BLACKWELL_USERMODE_A),
                         NV_ERR_INVALID_CLASS));
  EXPECT_TRUE(has_status(rm_alloc(sys, p.ctl, p.root, p.device, 0, 0xBEEF), NV_ERR_INVALID_CLASS));
  // A context share needs a channel group.
  NV_CTXSHARE_ALLOCATION_PARAMETERS cs{};
  EXPECT_TRUE(
      has_status(rm_alloc(sys, p.ctl, p.root, p.device, 0, FERMI_CONTEXT_SHARE_A, rm_params(cs)),
                 NV_ERR_INVALID_OBJECT_PARENT));
  // Params RM must read: NULL, and an unmapped pointer.
  EXPECT_TRUE(has_status(rm_alloc(sys, p.ctl, p.root, p.device, 0, KEPLER_CHANNEL_GROUP_A),
                         NV_ERR_INVALID_ARGUMENT));
  NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS gp{};
  RmParams badp{reinterpret_cast<void*>(0x10), sizeof gp};
  EXPECT_TRUE(has_status(rm_alloc(sys, p.ctl, p.root, p.device, 0, KEPLER_CHANNEL_GROUP_A, badp),
                         NV_ERR_INVALID_ADDRESS));
  // Free: unknown handle; a client another fd owns is invisible.
  EXPECT_TRUE(
      has_status(rm_free(sys, p.ctl, p.root, p.device, 0x4242), NV_ERR_INVALID_OBJECT_HANDLE));
  const int ctl2 = sys.open(kNvidiactlPath, O_RDWR);
  EXPECT_TRUE(has_status(rm_free(sys, ctl2, p.root, p.root, p.root), NV_ERR_INVALID_CLIENT));
  sys.close(ctl2);
  // Freeing the device frees its subtree.
  const size_t before = m->rm_object_count();
  ASSERT_OK(rm_free(sys, p.ctl, p.root, p.root, p.device));
  EXPECT_EQ(m->rm_object_count(), before - 2);
  ASSERT_OK(rm_free(sys, p.ctl, p.root, p.root, p.root));
  ASSERT_OK(rm_free(sys, p.ctl, 0xC1E00001, 0xC1E00001, 0xC1E00001));
  EXPECT_EQ(m->rm_object_count(), 0u);
}

TEST(NvRm, ControlsValidateObjectSizeAndPointers) {
  auto m = make("GH100", "580.95.05");
  Proc p(*m);
  ASSERT_NO_FATAL_FAILURE(p.bring_up());
  auto& sys = p.sys;
  // Unknown command, and a command the object does not export.
  uint32_t dummy = 0;
  EXPECT_TRUE(has_status(rm_control(sys, p.ctl, p.root, p.subdevice, 0x20809999, rm_params(dummy)),
                         NV_ERR_NOT_SUPPORTED));
  NV2080_CTRL_GR_GET_INFO_PARAMS gi{};
  EXPECT_TRUE(has_status(
      rm_control(sys, p.ctl, p.root, p.device, NV2080_CTRL_CMD_GR_GET_INFO, rm_params(gi)),
      NV_ERR_NOT_SUPPORTED));
  EXPECT_TRUE(
      has_status(rm_control(sys, p.ctl, p.root, 0x7777, NV2080_CTRL_CMD_GR_GET_INFO, rm_params(gi)),
                 NV_ERR_INVALID_OBJECT_HANDLE));
  // GR_GET_INFO: no list, an unknown index.
  EXPECT_TRUE(has_status(
      rm_control(sys, p.ctl, p.root, p.subdevice, NV2080_CTRL_CMD_GR_GET_INFO, rm_params(gi)),
      NV_ERR_INVALID_ARGUMENT));
  NV2080_CTRL_GR_INFO e{0x3F, 0};
  gi.grInfoListSize = 1;
  gi.grInfoList = reinterpret_cast<uintptr_t>(&e);
  EXPECT_TRUE(has_status(
      rm_control(sys, p.ctl, p.root, p.subdevice, NV2080_CTRL_CMD_GR_GET_INFO, rm_params(gi)),
      NV_ERR_INVALID_ARGUMENT));
  gi.grInfoList = 0x10;
  EXPECT_TRUE(has_status(
      rm_control(sys, p.ctl, p.root, p.subdevice, NV2080_CTRL_CMD_GR_GET_INFO, rm_params(gi)),
      NV_ERR_INVALID_ADDRESS));
  // Branch layouts: the 2-byte SCHEDULE and the 100-entry CLASSLIST_V2 are 570's.
  NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS old{1, 0};
  EXPECT_TRUE(has_status(
      rm_control(sys, p.ctl, p.root, p.tsg, NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, rm_params(old)),
      NV_ERR_INVALID_PARAM_STRUCT));
  NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS cl100{};
  EXPECT_TRUE(has_status(rm_control(sys, p.ctl, p.root, p.device,
                                    NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2, rm_params(cl100)),
                         NV_ERR_INVALID_PARAM_STRUCT));
  NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS_V580 cl200{};
  ASSERT_OK(rm_control(sys, p.ctl, p.root, p.device, NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2,
                       rm_params(cl200)));
  EXPECT_EQ(cl200.numClasses, p.gpu.profile->classes.size());
  // Class list into a short buffer.
  uint32_t two[2];
  NV0080_CTRL_GPU_GET_CLASSLIST_PARAMS cl{2, 0, reinterpret_cast<uintptr_t>(two)};
  EXPECT_TRUE(has_status(
      rm_control(sys, p.ctl, p.root, p.device, NV0080_CTRL_CMD_GPU_GET_CLASSLIST, rm_params(cl)),
      NV_ERR_INVALID_PARAM_STRUCT));
  // Unknown gpuId.
  NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS id{};
  id.gpuId = 0x1234;
  EXPECT_TRUE(has_status(
      rm_control(sys, p.ctl, p.root, p.root, NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2, rm_params(id)),
      NV_ERR_INVALID_ARGUMENT));
  // GID in ASCII matches /proc.
  NV2080_CTRL_GPU_GET_GID_INFO_PARAMS gid{};
  ASSERT_OK(rm_control(sys, p.ctl, p.root, p.subdevice, NV2080_CTRL_CMD_GPU_GET_GID_INFO,
                       rm_params(gid)));
  const std::string text(reinterpret_cast<char*>(gid.data));
  EXPECT_EQ(text.size() + 1, gid.length);
  auto info = sys.read_file("/proc/driver/nvidia/gpus/0000:41:00.0/information");
  EXPECT_NE(info->find(text), std::string::npos);
  // Attached ids and FB flush.
  NV0000_CTRL_GPU_GET_ATTACHED_IDS_PARAMS at{};
  ASSERT_OK(
      rm_control(sys, p.ctl, p.root, p.root, NV0000_CTRL_CMD_GPU_GET_ATTACHED_IDS, rm_params(at)));
  EXPECT_EQ(at.gpuIds[0], p.gpu.gpu_id);
  EXPECT_EQ(at.gpuIds[1], NV0000_CTRL_GPU_INVALID_ID);
  auto flush = std::make_unique<NV2080_CTRL_FB_FLUSH_GPU_CACHE_PARAMS>();
  flush->flags = (1u << 2) | (1u << 3) | (1u << 4);
  ASSERT_OK(rm_control(sys, p.ctl, p.root, p.subdevice, NV2080_CTRL_CMD_FB_FLUSH_GPU_CACHE,
                       rm_params(*flush)));
}

TEST(NvRm, Branch570RefusesThe580Schedule) {
  auto m = make("GA102", "570.133.07");
  Proc p(*m);
  ASSERT_NO_FATAL_FAILURE(p.bring_up());
  NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS_V575 v575{1, 0, 0};
  EXPECT_TRUE(has_status(
      rm_control(p.sys, p.ctl, p.root, p.tsg, NVA06C_CTRL_CMD_GPFIFO_SCHEDULE, rm_params(v575)),
      NV_ERR_INVALID_PARAM_STRUCT));
  NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS cl100{};
  ASSERT_OK(rm_control(p.sys, p.ctl, p.root, p.device, NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2,
                       rm_params(cl100)));
  // 64-byte NVOS46 on a 570 driver.
  NVOS46_PARAMETERS_V580 v580{};
  EXPECT_EQ(p.sys.ioctl(p.ctl, NvIoctlRow<NvIoctl::RM_MAP_MEMORY_DMA_V580>::request, &v580),
            -EINVAL);
}

TEST(NvRm, MemoryAllocationRules) {
  auto m = make("GA102");
  Proc p(*m);
  ASSERT_NO_FATAL_FAILURE(p.bring_up());
  auto& sys = p.sys;
  NV_MEMORY_ALLOCATION_PARAMS mp{};
  mp.flags = kVidmemFlags;
  EXPECT_TRUE(
      has_status(rm_alloc(sys, p.ctl, p.root, p.device, 0, NV01_MEMORY_LOCAL_USER, rm_params(mp)),
                 NV_ERR_INVALID_ARGUMENT));  // size 0
  mp.size = 4096;
  mp.alignment = 3000;
  EXPECT_TRUE(
      has_status(rm_alloc(sys, p.ctl, p.root, p.device, 0, NV01_MEMORY_LOCAL_USER, rm_params(mp)),
                 NV_ERR_INVALID_ARGUMENT));
  mp.alignment = 0;
  mp.size = 25ull << 30;  // more than the 24 GiB card
  EXPECT_TRUE(
      has_status(rm_alloc(sys, p.ctl, p.root, p.device, 0, NV01_MEMORY_LOCAL_USER, rm_params(mp)),
                 NV_ERR_NO_MEMORY));
  EXPECT_EQ(p.gpu.vram_used.load(), 0u);
  mp.size = 5000;
  auto h = rm_alloc(sys, p.ctl, p.root, p.device, 0, NV01_MEMORY_LOCAL_USER, rm_params(mp));
  ASSERT_OK(h);
  EXPECT_EQ(mp.size, 8192u);  // rounded to the page size and written back
  EXPECT_TRUE(has_status(rm_alloc(sys, p.ctl, p.root, p.device, 0, NV01_MEMORY_LOCAL_USER),
                         NV_ERR_INVALID_ARGUMENT));  // NULL params
  // OS descriptors: flags, node, registration.
  AllocMemoryArgs am;
  am.hRoot = p.root;
  am.hParent = p.device;
  am.hObject = 0x2001;
  const uint64_t host_va = p.take_va(4096);
  am.pMemory = host_va;
  sys.mmap(reinterpret_cast<void*>(am.pMemory), 4096, PROT_READ | PROT_WRITE,
           MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  am.limit = 4095;
  am.flags = 0x00001010;  // MAPPING not NO_MAP
  EXPECT_TRUE(has_status(rm_alloc_memory(sys, p.dev, am), NV_ERR_INVALID_FLAGS));
  am.flags = kOsDescFlags | (1u << 8);  // LOCATION not PCI
  EXPECT_TRUE(has_status(rm_alloc_memory(sys, p.dev, am), NV_ERR_INVALID_FLAGS));
  am.flags = kOsDescFlags;
  const int unregistered = sys.open("/dev/nvidia0", O_RDWR);
  EXPECT_TRUE(has_status(rm_alloc_memory(sys, unregistered, am), NV_ERR_INVALID_CLIENT));
  sys.close(unregistered);
  am.pMemory = 0x1000;  // not mapped
  EXPECT_TRUE(has_status(rm_alloc_memory(sys, p.dev, am), NV_ERR_INVALID_ADDRESS));
  am.pMemory = host_va;
  ASSERT_OK(rm_alloc_memory(sys, p.dev, am));
  EXPECT_TRUE(has_status(rm_alloc_memory(sys, p.dev, am), NV_ERR_INSERT_DUPLICATE_NAME));
}

TEST(NvRm, CpuMappingRules) {
  auto m = make();
  Proc p(*m);
  ASSERT_NO_FATAL_FAILURE(p.bring_up());
  auto& sys = p.sys;
  Proc::Mem vid = p.alloc(0x10000, true, false);
  Proc::Mem sysm = p.alloc(0x10000, false, false);
  MapMemoryArgs ma{.hClient = p.root, .hDevice = p.device, .hMemory = vid.h, .length = 0x10000};
  // A GPU fd that was never registered.
  const int fresh = sys.open("/dev/nvidia0", O_RDWR);
  EXPECT_TRUE(has_status(rm_map_memory(sys, p.ctl, ma, fresh), NV_ERR_INVALID_ARGUMENT));
  ASSERT_OK(register_fd(sys, fresh, p.ctl));
  // Past the memory's end.
  ma.length = 0x20000;
  EXPECT_TRUE(has_status(rm_map_memory(sys, p.ctl, ma, fresh), NV_ERR_INVALID_LIMIT));
  ma.length = 0x10000;
  // Vidmem through a control fd.
  const int ctlmap = sys.open(kNvidiactlPath, O_RDWR);
  EXPECT_TRUE(has_status(rm_map_memory(sys, p.ctl, ma, ctlmap), NV_ERR_INVALID_ARGUMENT));
  // One context per fd.
  auto cookie = rm_map_memory(sys, p.ctl, ma, fresh);
  ASSERT_OK(cookie);
  EXPECT_TRUE(has_status(rm_map_memory(sys, p.ctl, ma, fresh), NV_ERR_STATE_IN_USE));
  // mmap: offset 0 and the exact length on GPU nodes.
  EXPECT_EQ(sys.mmap(nullptr, 0x10000, PROT_READ, MAP_SHARED, fresh, 4096).err, EINVAL);
  EXPECT_EQ(sys.mmap(nullptr, 0x8000, PROT_READ, MAP_SHARED, fresh, 0).err, ENXIO);
  auto ok = sys.mmap(nullptr, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED, fresh, 0);
  ASSERT_NE(ok.addr, nullptr);
  // The CPU view and the GPU view are the same pages.
  static_cast<uint32_t*>(ok.addr)[5] = 77;
  std::shared_ptr<rawgpu::sim::PageTable> vm;
  {
    // Any channel's VA space is the registered one; use UVM's mapping via translate.
    Proc::Mem area = p.alloc(0x300000, true, true, true);
    Proc::Channel ch = p.channel(area, 0, true);
    vm = m->channel(p.root, ch.h)->vm;
  }
  rawgpu::sim::GpuFault f{};
  uint8_t* g = vm->translate(vid.va + 20, 4, rawgpu::sim::kRead, &f);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(*reinterpret_cast<uint32_t*>(g), 77u);
  sys.munmap(ok.addr, 0x10000);
  // Unmap by cookie; a wrong cookie is refused.
  EXPECT_TRUE(has_status(rm_unmap_memory(sys, p.ctl, p.root, p.device, vid.h, 0x1234),
                         NV_ERR_INVALID_ARGUMENT));
  ASSERT_OK(rm_unmap_memory(sys, p.ctl, p.root, p.device, vid.h, *cookie));
  // Sysmem through a control fd works.
  MapMemoryArgs ms{.hClient = p.root, .hDevice = p.device, .hMemory = sysm.h, .length = 0x10000};
  ASSERT_OK(rm_map_memory(sys, p.ctl, ms, ctlmap));
  sys.close(fresh);
  sys.close(ctlmap);
}

TEST(NvRm, MapMemoryDmaIntoTheDefaultVaSpace) {
  auto m = make();
  Proc p(*m);
  ASSERT_NO_FATAL_FAILURE(p.bring_up());
  Proc::Mem vid = p.alloc(0x20000, true, false);
  MapMemoryDmaArgs a{.hClient = p.root,
                     .hDevice = p.device,
                     .hDma = p.virtmem,
                     .hMemory = vid.h,
                     .length = 0x20000,
                     .flags = 0x8110,
                     .dmaOffset = vid.va};
  auto va = rm_map_memory_dma(p.sys, p.ctl, p.abi, a);
  ASSERT_OK(va);
  EXPECT_EQ(*va, vid.va);
  a.dmaOffset = vid.va + 0x800;  // misaligned
  EXPECT_TRUE(has_status(rm_map_memory_dma(p.sys, p.ctl, p.abi, a), NV_ERR_INVALID_OFFSET));
  a.dmaOffset = vid.va + 0x100000;
  a.length = 0x40000;  // past the memory
  EXPECT_TRUE(has_status(rm_map_memory_dma(p.sys, p.ctl, p.abi, a), NV_ERR_INVALID_LIMIT));
  a.hDma = p.vaspace;  // not a virtual-memory object
  a.length = 0x20000;
  EXPECT_TRUE(has_status(rm_map_memory_dma(p.sys, p.ctl, p.abi, a), NV_ERR_INVALID_OBJECT_HANDLE));
  ASSERT_OK(rm_unmap_memory_dma(p.sys, p.ctl, p.root, p.device, p.virtmem, vid.h, vid.va));
  EXPECT_TRUE(
      has_status(rm_unmap_memory_dma(p.sys, p.ctl, p.root, p.device, p.virtmem, vid.h, vid.va),
                 NV_ERR_INVALID_ARGUMENT));
}

TEST(NvRm, ChannelAllocationRules) {
  auto m = make();
  Proc p(*m);
  ASSERT_NO_FATAL_FAILURE(p.bring_up());
  auto& sys = p.sys;
  Proc::Mem area = p.alloc(0x300000, true, true, true);
  Proc::Mem notifier = p.alloc(0x1000, false, false);
  const uint32_t cls = p.gpu.profile->gpfifo_class;
  auto try_alloc = [&](auto edit) {
    NV_CHANNEL_ALLOC_PARAMS c{};
    c.hObjectError = notifier.h;
    c.gpFifoOffset = area.va;
    c.gpFifoEntries = 0x400;
    c.hContextShare = p.ctxshare;
    c.hUserdMemory[0] = area.h;
    c.userdOffset[0] = 0x2000;
    edit(c);
    return rm_alloc(sys, p.ctl, p.root, p.tsg, 0, cls, rm_params(c));
  };
  EXPECT_TRUE(
      has_status(try_alloc([](auto& c) { c.gpFifoEntries = 0x300; }), NV_ERR_INVALID_ARGUMENT));
  EXPECT_TRUE(
      has_status(try_alloc([](auto& c) { c.userdOffset[0] = 0x2100; }), NV_ERR_INVALID_ARGUMENT));
  EXPECT_TRUE(has_status(try_alloc([](auto& c) { c.hObjectError = 0; }), NV_ERR_INVALID_ARGUMENT));
  EXPECT_TRUE(has_status(try_alloc([](auto& c) { c.hObjectError = 0x7777; }),
                         NV_ERR_INVALID_OBJECT_HANDLE));
  EXPECT_TRUE(
      has_status(try_alloc([&](auto& c) { c.userdOffset[0] = 0x300000; }), NV_ERR_INVALID_LIMIT));
  EXPECT_TRUE(has_status(try_alloc([](auto& c) { c.gpFifoOffset += 4; }), NV_ERR_INVALID_ARGUMENT));
  // A channel cannot sit under a subdevice.
  NV_CHANNEL_ALLOC_PARAMS c{};
  EXPECT_TRUE(has_status(rm_alloc(sys, p.ctl, p.root, p.subdevice, 0, cls, rm_params(c)),
                         NV_ERR_INVALID_OBJECT_PARENT));
  auto ch = try_alloc([](auto&) {});
  ASSERT_OK(ch);
  // One compute object per channel; a class of another GPU.
  ASSERT_OK(rm_alloc(sys, p.ctl, p.root, *ch, 0, p.gpu.profile->compute_class));
  EXPECT_TRUE(has_status(rm_alloc(sys, p.ctl, p.root, *ch, 0, p.gpu.profile->compute_class),
                         NV_ERR_INVALID_STATE));
  EXPECT_TRUE(
      has_status(rm_alloc(sys, p.ctl, p.root, *ch, 0, AMPERE_COMPUTE_B), NV_ERR_INVALID_CLASS));
  // The token control is a channel's.
  NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS tok{};
  EXPECT_TRUE(has_status(rm_control(sys, p.ctl, p.root, p.tsg,
                                    NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN, rm_params(tok)),
                         NV_ERR_NOT_SUPPORTED));
  // Freeing the VA space frees the ctxshare and the channel that depend on it.
  const size_t before = m->rm_object_count();
  ASSERT_OK(rm_free(sys, p.ctl, p.root, p.device, p.vaspace));
  EXPECT_EQ(m->rm_object_count(), before - 4);  // vaspace, ctxshare, channel, compute object
  EXPECT_EQ(m->channel(p.root, *ch), nullptr);
}

TEST(NvRm, ChannelErrorWritesTheNotifierAndLogsAnXid) {
  auto m = make();
  Proc p(*m);
  ASSERT_NO_FATAL_FAILURE(p.bring_up());
  Proc::Mem area = p.alloc(0x300000, true, true, true);
  Proc::Channel ch = p.channel(area, 0, true);
  ASSERT_OK(p.schedule());
  // The backend reads errors through a CPU mapping of the notifier on a fresh nvidiactl fd.
  CpuMapRequest r;
  r.node = kNvidiactlPath;
  r.register_node_fd = false;
  r.map = MapMemoryArgs{
      .hClient = p.root, .hDevice = p.device, .hMemory = ch.notifier.h, .length = 0x1000};
  auto cpu = rm_map_to_cpu(p.sys, p.ctl, r);
  ASSERT_OK(cpu);
  auto* n = static_cast<const uint8_t*>(cpu->addr);
  std::shared_ptr<SimChannel> cs = m->channel(p.root, ch.h);
  ASSERT_NE(cs, nullptr);
  ASSERT_NE(cs->sink, nullptr);
  cs->sink->on_channel_error(*cs, rawgpu::sim::nv::kXidMmuFault,
                             "MMU Fault: ENGINE GRAPHICS GPC0 faulted @ 0x7f_00000000");
  uint32_t info32;
  uint16_t info16, status;
  std::memcpy(&info32, n + 8, 4);
  std::memcpy(&info16, n + 12, 2);
  std::memcpy(&status, n + 14, 2);
  EXPECT_EQ(info32, 31u);
  EXPECT_EQ(info16, cs->chid);
  EXPECT_EQ(status, 0xFFFF);
  auto log = m->kernel_log();
  ASSERT_EQ(log.size(), 1u);
  char chid[16];
  std::snprintf(chid, sizeof chid, "Ch %08x", cs->chid);
  EXPECT_EQ(log[0].rfind("NVRM: Xid (PCI:0000:41:00): 31, pid=", 0), 0u) << log[0];
  EXPECT_NE(log[0].find(chid), std::string::npos) << log[0];
  EXPECT_NE(log[0].find("MMU Fault"), std::string::npos);
  cs->sink->on_nonstall_interrupt(*cs);
  EXPECT_EQ(p.gpu.nonstall_interrupts.load(), 1u);
  p.sys.munmap(cpu->addr, 0x1000);
}

// ---------------------------------------------------------------------------------------------
// nvidia-uvm.ko

TEST(NvUvm, InitializeFirstAndMmInitialize) {
  auto m = make();
  rawgpu::core::Sys& sys = m->sys();
  const int uvm = sys.open("/dev/nvidia-uvm", O_RDWR);
  const int uvm2 = sys.open("/dev/nvidia-uvm", O_RDWR);
  EXPECT_TRUE(
      has_status(uvm_create_external_range(sys, uvm, 0x100000000, 0x1000), NV_ERR_ILLEGAL_ACTION));
  NvProcessorUuid u{};
  std::memcpy(u.uuid, m->gpus()[0]->uuid, 16);
  EXPECT_TRUE(has_status(uvm_register_gpu(sys, uvm, u), NV_ERR_ILLEGAL_ACTION));
  EXPECT_TRUE(has_status(uvm_mm_initialize(sys, uvm2, uvm),
                         NV_ERR_INVALID_ARGUMENT));  // uvm not initialized
  EXPECT_TRUE(has_status(uvm_initialize(sys, uvm, 0x100), NV_ERR_INVALID_ARGUMENT));
  ASSERT_OK(uvm_initialize(sys, uvm));
  ASSERT_OK(uvm_initialize(sys, uvm));  // same flags again
  ASSERT_OK(uvm_mm_initialize(sys, uvm2, uvm));
  EXPECT_TRUE(has_status(uvm_mm_initialize(sys, uvm2, uvm), NV_ERR_IN_USE));
  // Register the GPU; an unknown UUID; twice.
  NvProcessorUuid bogus{};
  EXPECT_TRUE(has_status(uvm_register_gpu(sys, uvm, bogus), NV_ERR_GPU_UUID_NOT_FOUND));
  ASSERT_OK(uvm_register_gpu(sys, uvm, u));
  EXPECT_TRUE(has_status(uvm_register_gpu(sys, uvm, u), NV_ERR_IN_USE));
  // Peer access between one GPU and itself / no peers.
  EXPECT_TRUE(has_status(uvm_enable_peer_access(sys, uvm, u, u), NV_ERR_INVALID_DEVICE));
  // An unknown ioctl number.
  uint8_t buf[64] = {};
  EXPECT_EQ(sys.ioctl(uvm, 0x7777, buf), -EINVAL);
  EXPECT_EQ(sys.ioctl(uvm, UVM_CREATE_EXTERNAL_RANGE, reinterpret_cast<void*>(0x10)), -EFAULT);
  sys.close(uvm2);
  sys.close(uvm);
}

TEST(NvUvm, GpuVaSpaceMustBeExternallyOwned) {
  auto m = make();
  Proc p(*m);
  ASSERT_NO_FATAL_FAILURE(p.bring_up());
  uint32_t plain = 0;
  ASSERT_NO_FATAL_FAILURE(p.alloc_vaspace(0, &plain));
  const int uvm = p.sys.open("/dev/nvidia-uvm", O_RDWR);
  ASSERT_OK(uvm_initialize(p.sys, uvm));
  EXPECT_TRUE(has_status(uvm_register_gpu_vaspace(p.sys, uvm, p.uuid, p.ctl, p.root, p.vaspace),
                         NV_ERR_INVALID_DEVICE));  // GPU not registered on this fd
  ASSERT_OK(uvm_register_gpu(p.sys, uvm, p.uuid));
  EXPECT_TRUE(has_status(uvm_register_gpu_vaspace(p.sys, uvm, p.uuid, p.ctl, p.root, plain),
                         NV_ERR_INVALID_ARGUMENT));
  EXPECT_TRUE(has_status(uvm_register_gpu_vaspace(p.sys, uvm, p.uuid, p.uvm, p.root, p.vaspace),
                         NV_ERR_INVALID_ARGUMENT));  // rmCtrlFd is not nvidiactl
  EXPECT_TRUE(has_status(uvm_register_gpu_vaspace(p.sys, uvm, p.uuid, p.ctl, p.root, 0x7171),
                         NV_ERR_OBJECT_NOT_FOUND));
  ASSERT_OK(uvm_register_gpu_vaspace(p.sys, uvm, p.uuid, p.ctl, p.root, p.vaspace));
  EXPECT_TRUE(has_status(uvm_register_gpu_vaspace(p.sys, uvm, p.uuid, p.ctl, p.root, p.vaspace),
                         NV_ERR_INVALID_DEVICE));  // one per GPU
  p.sys.close(uvm);
}

TEST(NvUvm, ExternalRangesAndMappings) {
  auto m = make();
  Proc p(*m);
  ASSERT_NO_FATAL_FAILURE(p.bring_up());
  auto& sys = p.sys;
  Proc::Mem vid = p.alloc(0x20000, true, false);  // range + mapping at vid.va
  const uint64_t base = p.take_va(0x100000);
  EXPECT_TRUE(has_status(uvm_create_external_range(sys, p.uvm, base + 0x800, 0x1000),
                         NV_ERR_INVALID_ADDRESS));
  EXPECT_TRUE(has_status(uvm_create_external_range(sys, p.uvm, base, 0), NV_ERR_INVALID_ADDRESS));
  EXPECT_TRUE(has_status(uvm_create_external_range(sys, p.uvm, vid.va + 0x1000, 0x1000),
                         NV_ERR_UVM_ADDRESS_IN_USE));
  ASSERT_OK(uvm_create_external_range(sys, p.uvm, base, 0x100000));
  EXPECT_TRUE(has_status(uvm_create_external_range(sys, p.uvm, base + 0xff000, 0x2000),
                         NV_ERR_UVM_ADDRESS_IN_USE));
  // Mapping: outside any range, past the memory's end, an unknown handle, an unregistered GPU.
  EXPECT_TRUE(has_status(p.map_uvm(vid.h, base + 0x100000, 0x1000), NV_ERR_INVALID_ADDRESS));
  EXPECT_TRUE(has_status(p.map_uvm(vid.h, base, 0x30000), NV_ERR_INVALID_LIMIT));
  EXPECT_TRUE(has_status(p.map_uvm(vid.h, base, 0x10000, 0x18000), NV_ERR_INVALID_LIMIT));
  EXPECT_TRUE(has_status(p.map_uvm(0x6666, base, 0x1000), NV_ERR_OBJECT_NOT_FOUND));
  UvmGpuMappingAttributes at{};
  MapExternalArgs a{.base = base,
                    .length = 0x1000,
                    .gpus = {&at, 1},
                    .rm_ctrl_fd = p.ctl,
                    .hClient = p.root,
                    .hMemory = vid.h};
  EXPECT_TRUE(has_status(uvm_map_external_allocation(sys, p.uvm, a), NV_ERR_INVALID_DEVICE));
  // A sub-range of the memory at an offset; the GPU sees exactly those pages.
  ASSERT_OK(p.map_uvm(vid.h, base + 0x4000, 0x10000, 0x10000));
  std::shared_ptr<rawgpu::sim::PageTable> vm;
  {
    Proc::Mem area = p.alloc(0x300000, true, true, true);
    Proc::Channel ch = p.channel(area, 0, true);
    vm = m->channel(p.root, ch.h)->vm;
  }
  rawgpu::sim::GpuFault f{};
  uint8_t* a0 = vm->translate(vid.va + 0x10000, 4, rawgpu::sim::kWrite, &f);
  uint8_t* a1 = vm->translate(base + 0x4000, 4, rawgpu::sim::kWrite, &f);
  ASSERT_NE(a0, nullptr);
  EXPECT_EQ(a0, a1);
  // The RM handle may go first: UVM keeps its reference.
  ASSERT_OK(rm_free(sys, p.ctl, p.root, p.device, vid.h));
  EXPECT_NE(vm->translate(base + 0x4000, 4, rawgpu::sim::kRead, &f), nullptr);
  // Unmap, then free the ranges.
  ASSERT_OK(uvm_unmap_external(sys, p.uvm, base, 0x100000, p.uuid));
  EXPECT_EQ(vm->translate(base + 0x4000, 4, rawgpu::sim::kRead, &f), nullptr);
  EXPECT_TRUE(f.not_present);
  ASSERT_OK(uvm_free(sys, p.uvm, p.abi, base, 0x100000));
  ASSERT_OK(uvm_free(sys, p.uvm, p.abi, vid.va, vid.size));
  EXPECT_EQ(vm->translate(vid.va, 4, rawgpu::sim::kRead, &f), nullptr);
  EXPECT_TRUE(has_status(uvm_free(sys, p.uvm, p.abi, base, 0x100000), NV_ERR_INVALID_ADDRESS));
}

TEST(NvUvm, RegisterChannelRules) {
  auto m = make("GH100", "590.44.01");
  Proc p(*m);
  ASSERT_NO_FATAL_FAILURE(p.bring_up());
  Proc::Mem area = p.alloc(0x300000, true, true, true);
  Proc::Channel ch = p.channel(area, 0, true);  // registers at a fresh range
  const uint64_t base = p.take_va(0x4000000);
  // Twice, an unknown channel, a misaligned range, a range over an external one.
  EXPECT_TRUE(
      has_status(uvm_register_channel(p.sys, p.uvm, p.uuid, p.ctl, p.root, ch.h, base, 0x4000000),
                 NV_ERR_INVALID_CHANNEL));
  EXPECT_TRUE(
      has_status(uvm_register_channel(p.sys, p.uvm, p.uuid, p.ctl, p.root, 0x5151, base, 0x4000000),
                 NV_ERR_OBJECT_NOT_FOUND));
  EXPECT_TRUE(
      has_status(uvm_register_channel(p.sys, p.uvm, p.uuid, p.ctl, p.root, p.tsg, base, 0x4000000),
                 NV_ERR_INVALID_CHANNEL));
  // UVM_UNREGISTER_CHANNEL with the 590 layout (12 bytes), then an unknown one.
  ASSERT_OK(uvm_unregister_channel(p.sys, p.uvm, p.abi, p.uuid, p.root, ch.h));
  EXPECT_TRUE(has_status(uvm_unregister_channel(p.sys, p.uvm, p.abi, p.uuid, p.root, ch.h),
                         NV_ERR_INVALID_CHANNEL));
  EXPECT_TRUE(has_status(
      uvm_register_channel(p.sys, p.uvm, p.uuid, p.ctl, p.root, ch.h, base + 8, 0x4000000),
      NV_ERR_INVALID_ADDRESS));
  EXPECT_TRUE(has_status(
      uvm_register_channel(p.sys, p.uvm, p.uuid, p.ctl, p.root, ch.h, area.va, 0x4000000),
      NV_ERR_UVM_ADDRESS_IN_USE));
  // UVM_FREE with the 590 layout.
  ASSERT_OK(uvm_free(p.sys, p.uvm, p.abi, area.va, area.size));
}

}  // namespace

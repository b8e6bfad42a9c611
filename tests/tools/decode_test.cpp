// `rawgpu decode` (tools/trace/decode.*): traces written with TraceWriter from the real argument
// structs (kfd/abi.h, nv_ioctl/abi.h, qcom_kgsl/abi.h) and the backends' own packet encoders,
// decoded and checked line by line; unknown requests, records and packets as hex; corrupt and torn
// traces; the command line (text, --json, --grep).
#include "tools/trace/decode.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "kfd/abi.h"
#include "kfd/describe.h"
#include "kfd/packets.h"
#include "nv_ioctl/abi.h"
#include "nv_ioctl/classes.h"
#include "nv_ioctl/describe.h"
#include "nv_ioctl/packets.h"
#include "nv_ioctl/status.h"
#include "qcom_kgsl/abi.h"
#include "qcom_kgsl/describe.h"
#include "qcom_kgsl/packets.h"
#include "tools/trace/trace.h"

extern char** environ;

namespace rawgpu::trace {
namespace {

namespace fs = std::filesystem;

template <class T>
std::span<const uint8_t> as_bytes_of(const T& v) {
  return {reinterpret_cast<const uint8_t*>(&v), sizeof(T)};
}
template <class T>
std::span<const uint8_t> words_bytes(const std::vector<T>& v) {
  return {reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(T)};
}

class DecodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rawgpu_decode_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (std::getenv("RAWGPU_KEEP_TEST_DIR") == nullptr) fs::remove_all(dir_);
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Decodes `file` to text (or JSON lines); returns the output and the result.
  std::string decode(const std::string& file, core::Result<DecodeStats>* result = nullptr,
                     DecodeFileOptions opts = {}) {
    std::ostringstream out;
    core::Result<DecodeStats> r = decode_file(file, opts, out);
    if (result != nullptr) *result = std::move(r);
    return out.str();
  }

  fs::path dir_;
};

RecordMeta meta(uint64_t t = 1000) { return RecordMeta{.timestamp_ns = t, .tid = 42}; }

OpenRecord open_rec(std::string_view p, int fd) {
  return OpenRecord{.result = fd, .flags = O_RDWR | O_CLOEXEC, .mode = 0,
                    .driver = static_cast<uint32_t>(guess_driver(p)), .path = p};
}

IoctlRecord ioctl_rec(int fd, unsigned long req, std::span<const uint8_t> before,
                      std::span<const uint8_t> after, int64_t result = 0, int err = 0) {
  IoctlRecord r;
  r.fd = fd;
  r.request = req;
  r.arg_before = before;
  r.arg_after = after;
  r.result = result;
  r.err = err;
  return r;
}

bool has_line(const std::string& out, const std::vector<std::string>& parts) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    bool all = true;
    for (const std::string& p : parts) all = all && line.find(p) != std::string::npos;
    if (all) return true;
  }
  return false;
}

// ---- KFD ---------------------------------------------------------------------------------------

void write_kfd(TraceWriter& w) {
  ASSERT_TRUE(w.append(open_rec("/dev/kfd", 3), meta()).ok());
  const unsigned long create = kfd::kfd_ioctl(kfd::KfdIoctl::CREATE_QUEUE_V117).request();

  // A PM4 compute queue (id 5) and an AQL queue (id 6).
  kfd::kfd_ioctl_create_queue_args_v117 q{};
  q.ring_base_address = 0x7f0000000000;
  q.ring_size = 0x1000;
  q.gpu_id = 0x1234;
  q.queue_type = KFD_IOC_QUEUE_TYPE_COMPUTE;
  q.queue_percentage = 100;
  kfd::kfd_ioctl_create_queue_args_v117 qa = q;
  qa.queue_id = 5;
  qa.doorbell_offset = 0x8;
  ASSERT_TRUE(w.append(ioctl_rec(3, create, as_bytes_of(q), as_bytes_of(qa)), meta()).ok());
  kfd::kfd_ioctl_create_queue_args_v117 a = q;
  a.queue_type = KFD_IOC_QUEUE_TYPE_COMPUTE_AQL;
  kfd::kfd_ioctl_create_queue_args_v117 aa = a;
  aa.queue_id = 6;
  ASSERT_TRUE(w.append(ioctl_rec(3, create, as_bytes_of(a), as_bytes_of(aa)), meta()).ok());

  // PM4 on queue 5: SET_SH_REG + DISPATCH_DIRECT.
  std::vector<uint32_t> pm4(64);
  uint32_t put = 0;
  const uint32_t regs[] = {0x10, 0x20};
  auto r1 = kfd::encode(std::span(pm4).subspan(put),
                        kfd::Pm4SetShReg{.reg = 0x2E0C, .values = regs}, kfd::GfxGen::kGfx11);
  ASSERT_TRUE(r1.ok());
  put += r1.dwords;
  auto r2 = kfd::encode(std::span(pm4).subspan(put),
                        kfd::Pm4DispatchDirect{.dim_x = 4, .dim_y = 2, .dim_z = 1},
                        kfd::GfxGen::kGfx11);
  ASSERT_TRUE(r2.ok());
  put += r2.dwords;
  pm4.resize(put);
  ASSERT_TRUE(w.append(SubmissionRecord{.driver = static_cast<uint32_t>(DriverKind::kKfd),
                                        .queue = 5, .address = 0x7f0000000000,
                                        .data = words_bytes(pm4)},
                       meta())
                  .ok());

  // AQL on queue 6.
  kfd::AqlPacket pkt{};
  auto r3 = kfd::build_aql(pkt, kfd::AqlKernelDispatch{.workgroup_size_x = 64, .grid_size_x = 256,
                                                       .kernel_object = 0x10000,
                                                       .kernarg_address = 0x20000});
  ASSERT_TRUE(r3.ok());
  const std::vector<uint32_t> aql(pkt.begin(), pkt.end());
  ASSERT_TRUE(w.append(SubmissionRecord{.driver = static_cast<uint32_t>(DriverKind::kKfd),
                                        .queue = 6, .address = 0, .data = words_bytes(aql)},
                       meta())
                  .ok());

  // A failed allocation: errno by name and the row's hint.
  kfd_ioctl_alloc_memory_of_gpu_args m{};
  m.va_addr = 0x100000000;
  m.size = 1ull << 40;
  m.gpu_id = 0x1234;
  m.flags = KFD_IOC_ALLOC_MEM_FLAGS_VRAM | KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE;
  ASSERT_TRUE(w.append(ioctl_rec(3, kfd::kfd_ioctl(kfd::KfdIoctl::ALLOC_MEMORY_OF_GPU).request(),
                                 as_bytes_of(m), {}, -1, ENOMEM),
                       meta())
                  .ok());

  // The doorbell page of gpu 0x1234.
  ASSERT_TRUE(w.append(MmapRecord{.addr = 0, .len = 0x2000, .prot = PROT_READ | PROT_WRITE,
                                  .flags = MAP_SHARED, .fd = 3, .err = 0,
                                  .offset = static_cast<int64_t>(kfd::kfd_mmap_offset(
                                      kfd::KFD_MMAP_TYPE_DOORBELL, 0x1234)),
                                  .result = 0x7f1000000000},
                       meta())
                  .ok());

  // An ioctl no row describes.
  const uint8_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(w.append(ioctl_rec(3, core::ioc(core::IoctlDir::kReadWrite, 'K', 0x7E, 8), junk, junk),
                       meta())
                  .ok());
}

TEST_F(DecodeTest, KfdIoctlsQueuesAndPackets) {
  {
    auto w = TraceWriter::create(path("kfd.rgtrace"));
    ASSERT_TRUE(w.ok());
    write_kfd(**w);
    ASSERT_TRUE((*w)->finish().ok());
  }
  core::Result<DecodeStats> st = core::Error::internal("unset", "");
  const std::string out = decode(path("kfd.rgtrace"), &st);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(has_line(out, {"OPEN \"/dev/kfd\" O_RDWR|O_CLOEXEC [kfd] = 3"})) << out;
  EXPECT_TRUE(has_line(out, {"IOCTL fd=3 AMDKFD_IOC_CREATE_QUEUE{", "KFD_IOC_QUEUE_TYPE_COMPUTE",
                             "queue_id=5", "= 0"}))
      << out;
  EXPECT_TRUE(has_line(out, {"AMDKFD_IOC_CREATE_QUEUE{", "KFD_IOC_QUEUE_TYPE_COMPUTE_AQL",
                             "queue_id=6"}))
      << out;
  EXPECT_TRUE(has_line(out, {"SUBMISSION kfd queue=0x5"})) << out;
  EXPECT_TRUE(has_line(out, {"0x0000: PM4 SET_SH_REG{"})) << out;
  EXPECT_TRUE(has_line(out, {": PM4 DISPATCH_DIRECT{", "dim_x=4"})) << out;
  EXPECT_TRUE(has_line(out, {"0x0000: AQL KERNEL_DISPATCH"})) << out;
  EXPECT_TRUE(has_line(out, {"AMDKFD_IOC_ALLOC_MEMORY_OF_GPU{", "= -1 ENOMEM ("})) << out;
  EXPECT_TRUE(has_line(out, {"MMAP", "prot=PROT_READ|PROT_WRITE", "flags=MAP_SHARED", "[kfd]",
                             "KFD_MMAP_TYPE_DOORBELL gpu_id=4660"}))
      << out;
  EXPECT_TRUE(has_line(out, {"IOCTL fd=3", "0xc0084b7e", "in=[01 02 03"})) << out;
  EXPECT_TRUE(has_line(out, {"END record_count="})) << out;
  EXPECT_EQ(st->ioctls, 4u);
  EXPECT_EQ(st->ioctls_known, 3u);
  EXPECT_EQ(st->ioctls_unknown, 1u);
  EXPECT_EQ(st->submissions, 2u);
  EXPECT_EQ(st->packets, 3u);
  EXPECT_EQ(st->packets_unknown, 0u);
  EXPECT_TRUE(st->ended);
  EXPECT_FALSE(st->truncated);
  EXPECT_EQ(summary_line(*st),
            std::to_string(st->records) +
                " records: 4 ioctls (3 decoded, 1 unknown), 2 submissions (3 packets, 0 unknown)");
}

TEST_F(DecodeTest, DecoderMarksUnknownAndGfxOption) {
  // The Decoder API directly: unknown flag on undescribed requests, gfx9 layouts on request.
  FileHeader h;
  Decoder dec(h, DecodeOptions{.amd_gfx = 9});
  std::vector<uint8_t> payload;
  const uint8_t junk[4] = {9, 9, 9, 9};
  IoctlRecord r = ioctl_rec(7, 0xdeadbeef, junk, {});
  auto w = TraceWriter::create(path("u.rgtrace"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append(r, meta()).ok());
  ASSERT_TRUE((*w)->finish().ok());
  auto rd = TraceReader::open_file(path("u.rgtrace"));
  ASSERT_TRUE(rd.ok());
  auto v = rd->next();
  ASSERT_TRUE(v.ok() && v->has_value());
  auto d = dec.decode(**v);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->unknown);
  EXPECT_FALSE(d->request_known);
  EXPECT_NE(d->summary.find("ioctl 0xdeadbeef"), std::string::npos) << d->summary;
  EXPECT_NE(d->summary.find("in=[09 09 09 09]"), std::string::npos) << d->summary;
  const nlohmann::json j = nlohmann::json::parse(dec.json(*d));
  EXPECT_EQ(j["type"], "IOCTL");
  EXPECT_EQ(j["unknown"], true);
  EXPECT_EQ(j["fields"]["request"], 0xdeadbeefu);
}

// ---- NVIDIA ------------------------------------------------------------------------------------

// The tag of a row's nested buffer on `ptr_field`, when the row describes one; otherwise the
// decoder takes a record's only buffer.
uint32_t buffer_tag(const core::IoctlDesc& d, std::string_view ptr_field) {
  for (const core::BufferRef& b : d.buffers)
    if (b.ptr_field == ptr_field) return b.tag;
  return 0;
}

bool gr_has_buffers() {
  const core::IoctlDesc* gr =
      nv::find_versioned(nv::rm_controls(), nv::NV2080_CTRL_CMD_GR_GET_INFO);
  return gr != nullptr && !gr->buffers.empty();
}

constexpr uint32_t kClient = 0xC1D00001;
constexpr uint32_t kChannel = 0xCAF00010;
constexpr uint64_t kPbVa = 0x200000000;
constexpr uint64_t kQmdVa = 0x200010000;

void write_nv(TraceWriter& w) {
  ASSERT_TRUE(w.append(open_rec("/dev/nvidiactl", 4), meta()).ok());
  ASSERT_TRUE(w.append(open_rec("/dev/nvidia-uvm", 5), meta()).ok());
  const core::IoctlDesc& alloc = nv::nv_ioctl(nv::NvIoctl::RM_ALLOC);
  const core::IoctlDesc& control = nv::nv_ioctl(nv::NvIoctl::RM_CONTROL);

  // The client: no params.
  nv::NVOS21_PARAMETERS root{};
  root.hClass = nv::NV01_ROOT_CLIENT;
  nv::NVOS21_PARAMETERS root_out = root;
  root_out.hObjectNew = kClient;
  ASSERT_TRUE(w.append(ioctl_rec(4, alloc.request(), as_bytes_of(root), as_bytes_of(root_out)),
                       meta())
                  .ok());

  // A channel with its params in a nested buffer.
  nv::NV_CHANNEL_ALLOC_PARAMS ch{};
  ch.gpFifoOffset = 0x300000000;
  ch.gpFifoEntries = 1024;
  nv::NVOS21_PARAMETERS chan{};
  chan.hRoot = kClient;
  chan.hObjectParent = 0xCAF00002;
  chan.hObjectNew = kChannel;
  chan.hClass = nv::AMPERE_CHANNEL_GPFIFO_A;
  chan.pAllocParms = 0x7ff000001000;
  chan.paramsSize = sizeof ch;
  IoctlRecord r = ioctl_rec(4, alloc.request(), as_bytes_of(chan), as_bytes_of(chan));
  r.buffers.push_back(IoctlBuffer{.tag = buffer_tag(alloc, "pAllocParms"),
                                  .address = chan.pAllocParms, .before = as_bytes_of(ch),
                                  .after = as_bytes_of(ch)});
  ASSERT_TRUE(w.append(r, meta()).ok());

  // RM control with params; then one refused by RM (status by name).
  nv::NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS tok_in{0xFFFFFFFF}, tok_out{0x2A};
  nv::NVOS54_PARAMETERS c{};
  c.hClient = kClient;
  c.hObject = kChannel;
  c.cmd = nv::NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN;
  c.params = 0x7ff000002000;
  c.paramsSize = sizeof tok_in;
  IoctlRecord rc = ioctl_rec(4, control.request(), as_bytes_of(c), as_bytes_of(c));
  rc.buffers.push_back(IoctlBuffer{.tag = buffer_tag(control, "params"), .address = c.params,
                                   .before = as_bytes_of(tok_in), .after = as_bytes_of(tok_out)});
  ASSERT_TRUE(w.append(rc, meta()).ok());
  nv::NVOS54_PARAMETERS bad = c;
  bad.cmd = nv::NV2080_CTRL_CMD_PERF_BOOST;
  bad.params = 0;
  bad.paramsSize = 0;
  nv::NVOS54_PARAMETERS bad_out = bad;
  bad_out.status = nv::NV_ERR_NOT_SUPPORTED;
  ASSERT_TRUE(w.append(ioctl_rec(4, control.request(), as_bytes_of(bad), as_bytes_of(bad_out)),
                       meta())
                  .ok());

  // UVM: a bare number, no size in the request.
  nv::UVM_INITIALIZE_PARAMS ui{};
  ASSERT_TRUE(w.append(ioctl_rec(5, nv::nv_ioctl(nv::NvIoctl::UVM_INITIALIZE).request(),
                                 as_bytes_of(ui), as_bytes_of(ui)),
                       meta())
                  .ok());

  // Pushbuffer: bind the compute class, send a QMD. Then the GPFIFO entry pointing at it.
  std::vector<uint32_t> pbw(32);
  nv::Pushbuffer pb(pbw);
  pb.append(nv::encode_set_object(pb.free_space(), nv::kSubchCompute, nv::AMPERE_COMPUTE_A));
  pb.append(nv::encode_send_pcas(pb.free_space(), nv::AMPERE_COMPUTE_A, kQmdVa,
                                 nv::PcasAction::INVALIDATE_COPY_SCHEDULE));
  ASSERT_TRUE(pb.ok());
  pbw.resize(pb.size());
  uint64_t entry = 0;
  ASSERT_TRUE(nv::encode_gpfifo_entry(
                  nv::GpfifoEntry{.address = kPbVa, .length = static_cast<uint32_t>(pbw.size())},
                  entry)
                  .ok());
  const std::vector<uint64_t> ring = {entry};
  const auto nvdrv = static_cast<uint32_t>(DriverKind::kNvidiaGpu);
  ASSERT_TRUE(w.append(SubmissionRecord{.driver = nvdrv, .queue = kChannel, .address = 0x300000000,
                                        .data = words_bytes(ring)},
                       meta())
                  .ok());
  ASSERT_TRUE(w.append(SubmissionRecord{.driver = nvdrv, .queue = kChannel, .address = kPbVa,
                                        .data = words_bytes(pbw)},
                       meta())
                  .ok());
  std::vector<uint32_t> qmd(nv::qmd_dwords(nv::QmdVersion::V03_00));
  nv::QmdParams qp{};
  qp.grid = {8, 1, 1};
  qp.block = {128, 1, 1};
  ASSERT_TRUE(nv::encode_qmd(qmd, nv::QmdVersion::V03_00, qp).ok());
  ASSERT_TRUE(w.append(MemorySnapshotRecord{.space = static_cast<uint32_t>(AddressSpace::kGpu),
                                            .address = kQmdVa - 0x100, .data = {},
                                            .reason = 0},
                       meta())
                  .ok());
  std::vector<uint8_t> snap(0x100 + qmd.size() * 4);
  std::memcpy(snap.data() + 0x100, qmd.data(), qmd.size() * 4);
  ASSERT_TRUE(w.append(MemorySnapshotRecord{.space = static_cast<uint32_t>(AddressSpace::kGpu),
                                            .address = kQmdVa - 0x100, .data = snap,
                                            .reason = 0},
                       meta())
                  .ok());
}

TEST_F(DecodeTest, NvEscapesClassesControlsStatusAndMethods) {
  {
    auto w = TraceWriter::create(path("nv.rgtrace"));
    ASSERT_TRUE(w.ok());
    write_nv(**w);
    ASSERT_TRUE((*w)->finish().ok());
  }
  core::Result<DecodeStats> st = core::Error::internal("unset", "");
  const std::string out = decode(path("nv.rgtrace"), &st);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(has_line(out, {"IOCTL fd=4 NV_ESC_RM_ALLOC NV01_ROOT_CLIENT{", "hObjectNew=0xc1d00001"}))
      << out;
  EXPECT_TRUE(has_line(out, {"NV_ESC_RM_ALLOC AMPERE_CHANNEL_GPFIFO_A{", "gpFifoEntries=1024"}))
      << out;
  EXPECT_TRUE(has_line(out, {"NV_ESC_RM_CONTROL NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN{",
                             "workSubmitToken=0x2a"}))
      << out;
  EXPECT_TRUE(has_line(out, {"NV_ESC_RM_CONTROL NV2080_CTRL_CMD_PERF_BOOST{",
                             "status=NV_ERR_NOT_SUPPORTED"}))
      << out;
  EXPECT_TRUE(has_line(out, {"NV status NV_ERR_NOT_SUPPORTED"})) << out;
  EXPECT_TRUE(has_line(out, {"IOCTL fd=5 UVM_INITIALIZE{"})) << out;
  EXPECT_TRUE(has_line(out, {"GPFIFO entries"})) << out;
  EXPECT_TRUE(has_line(out, {"slot 0: GP_ENTRY{"})) << out;
  EXPECT_TRUE(has_line(out, {"host class AMPERE_CHANNEL_GPFIFO_A"})) << out;
  EXPECT_TRUE(has_line(out, {"AMPERE_COMPUTE_A.SEND_PCAS_A{"})) << out;
  EXPECT_TRUE(has_line(out, {"QMD at 0x200010000: QMD_V03_00{"})) << out;
  EXPECT_EQ(st->ioctls, 5u);
  EXPECT_EQ(st->ioctls_known, 5u);
  EXPECT_EQ(st->packets_unknown, 0u) << out;
}

// ---- KGSL + DRM + other records ---------------------------------------------------------------

TEST_F(DecodeTest, KgslDrmAndOtherRecords) {
  {
    auto w = TraceWriter::create(path("q.rgtrace"));
    ASSERT_TRUE(w.ok());
    TraceWriter& t = **w;
    ASSERT_TRUE(t.append(open_rec("/dev/kgsl-3d0", 6), meta()).ok());
    qcom::kgsl_gpuobj_alloc a{};
    a.size = 0x1000;
    qcom::kgsl_gpuobj_alloc ao = a;
    ao.id = 7;
    ao.mmapsize = 0x1000;
    ASSERT_TRUE(t.append(ioctl_rec(6, qcom::kgsl_ioctl(qcom::KgslIoctl::GPUOBJ_ALLOC).request(),
                                   as_bytes_of(a), as_bytes_of(ao)),
                         meta())
                    .ok());
    std::vector<uint32_t> ib(32);
    qcom::Pm4Writer pw(ib);
    pw.pkt7(qcom::CpSetMarker{.mode = qcom::RM6_COMPUTE});
    const uint32_t v[] = {0x60};
    pw.pkt4(0xBB08, v);
    ASSERT_TRUE(pw.ok());
    ib.resize(pw.size());
    ib.push_back(0x12345678);  // not a packet
    ASSERT_TRUE(t.append(SubmissionRecord{.driver = static_cast<uint32_t>(DriverKind::kKgsl),
                                          .queue = 3, .address = 0x10000,
                                          .data = words_bytes(ib)},
                         meta())
                    .ok());
    ASSERT_TRUE(t.append(MmapRecord{.addr = 0, .len = 0x1000, .prot = PROT_READ,
                                    .flags = MAP_SHARED, .fd = 6, .err = 0, .offset = 7 << 12,
                                    .result = ~0ull},
                         meta())
                    .ok());
    // The DRM render node: generic names.
    ASSERT_TRUE(t.append(open_rec("/dev/dri/renderD128", 8), meta()).ok());
    uint8_t ver[64] = {};
    ASSERT_TRUE(t.append(ioctl_rec(8, core::ioc(core::IoctlDir::kReadWrite, 'd', 0x00, 64), ver,
                                   ver),
                         meta())
                    .ok());
    ASSERT_TRUE(t.append(DupRecord{.old_fd = 6, .new_fd = 9, .requested_fd = -1, .flags = 0},
                         meta())
                    .ok());
    ASSERT_TRUE(t.append(CloseRecord{.fd = 6, .result = 0}, meta()).ok());
    ASSERT_TRUE(t.append(MunmapRecord{.addr = 0x7f0000000000, .len = 0x1000, .result = -EINVAL},
                         meta())
                    .ok());
    ASSERT_TRUE(t.append(DoorbellRecord{.address = 0x7f2000000008, .value = 0x40, .width = 8},
                         meta())
                    .ok());
    const uint8_t mem[20] = {0xde, 0xad, 0xbe, 0xef};
    ASSERT_TRUE(t.append(MemorySnapshotRecord{.space = 1, .address = 0x10000, .data = mem,
                                              .reason = 1},
                         meta())
                    .ok());
    const uint8_t raw[3] = {0xaa, 0xbb, 0xcc};
    ASSERT_TRUE(t.append_raw(77, raw, meta()).ok());
    ASSERT_TRUE(t.finish().ok());
  }
  core::Result<DecodeStats> st = core::Error::internal("unset", "");
  const std::string out = decode(path("q.rgtrace"), &st);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(has_line(out, {"IOCTL fd=6 IOCTL_KGSL_GPUOBJ_ALLOC{", "size=0x1000", "id=7"})) << out;
  EXPECT_TRUE(has_line(out, {"SUBMISSION kgsl queue=0x3"})) << out;
  EXPECT_TRUE(has_line(out, {"0x0000: CP_SET_MARKER{", "RM6_COMPUTE"})) << out;
  EXPECT_TRUE(has_line(out, {"0x0002: REG SP_UPDATE_CNTL"})) << out;
  EXPECT_TRUE(has_line(out, {"0x0004: error:"})) << out;
  EXPECT_TRUE(has_line(out, {"MMAP", "[kgsl]", "(id 7)", "MAP_FAILED"})) << out;
  EXPECT_TRUE(has_line(out, {"IOCTL fd=8 DRM_IOCTL_VERSION"})) << out;
  EXPECT_TRUE(has_line(out, {"DUP old_fd=6 [kgsl] = 9"})) << out;
  EXPECT_TRUE(has_line(out, {"CLOSE fd=6 [kgsl] = 0"})) << out;
  EXPECT_TRUE(has_line(out, {"MUNMAP addr=0x7f0000000000 len=0x1000 = -22 EINVAL"})) << out;
  EXPECT_TRUE(has_line(out, {"DOORBELL address=0x7f2000000008 value=0x40 width=8"})) << out;
  EXPECT_TRUE(has_line(out, {"MEMORY_SNAPSHOT gpu address=0x10000 size=20 reason=check [de ad be ef"}))
      << out;
  EXPECT_TRUE(has_line(out, {"UNKNOWN record type 77 (3 bytes)"})) << out;
  EXPECT_TRUE(has_line(out, {"payload 0000: aa bb cc"})) << out;
  EXPECT_EQ(st->submissions, 1u);
  EXPECT_EQ(st->packets, 3u);
  EXPECT_EQ(st->packets_unknown, 1u);
  EXPECT_EQ(st->ioctls_known, 1u);
  EXPECT_EQ(st->ioctls_unknown, 1u);  // DRM: named, arguments in hex
}

TEST_F(DecodeTest, NestedBuffersByTheRowsBufferRefs) {
  {
    auto w = TraceWriter::create(path("b.rgtrace"));
    ASSERT_TRUE(w.ok());
    TraceWriter& t = **w;
    ASSERT_TRUE(t.append(open_rec("/dev/kfd", 3), meta()).ok());
    ASSERT_TRUE(t.append(open_rec("/dev/nvidiactl", 4), meta()).ok());
    // KFD: MAP_MEMORY_TO_GPU's device id array.
    const core::IoctlDesc& map = kfd::kfd_ioctl(kfd::KfdIoctl::MAP_MEMORY_TO_GPU);
    kfd_ioctl_map_memory_to_gpu_args m{};
    m.handle = 0x55;
    m.device_ids_array_ptr = 0x7f0000003000;
    m.n_devices = 2;
    kfd_ioctl_map_memory_to_gpu_args mo = m;
    mo.n_success = 2;
    const uint32_t ids[2] = {0x1234, 0x5678};
    IoctlRecord r = ioctl_rec(3, map.request(), as_bytes_of(m), as_bytes_of(mo));
    r.buffers.push_back(IoctlBuffer{.tag = buffer_tag(map, "device_ids_array_ptr"),
                                    .address = m.device_ids_array_ptr,
                                    .before = {reinterpret_cast<const uint8_t*>(ids), sizeof ids}});
    ASSERT_TRUE(t.append(r, meta()).ok());
    // NV: GR_GET_INFO's params, and the list its params point to (tag 0x100 + the command's).
    const core::IoctlDesc& control = nv::nv_ioctl(nv::NvIoctl::RM_CONTROL);
    nv::NV2080_CTRL_GR_INFO info_in[2] = {{1, 0}, {2, 0}}, info_out[2] = {{1, 84}, {2, 4}};
    nv::NV2080_CTRL_GR_GET_INFO_PARAMS gp{};
    gp.grInfoListSize = 2;
    gp.grInfoList = 0x7f0000004000;
    nv::NVOS54_PARAMETERS c{};
    c.hClient = kClient;
    c.hObject = 0xCAF00003;
    c.cmd = nv::NV2080_CTRL_CMD_GR_GET_INFO;
    c.params = 0x7f0000005000;
    c.paramsSize = sizeof gp;
    IoctlRecord rc = ioctl_rec(4, control.request(), as_bytes_of(c), as_bytes_of(c));
    rc.buffers.push_back(IoctlBuffer{.tag = buffer_tag(control, "params"), .address = c.params,
                                     .before = as_bytes_of(gp), .after = as_bytes_of(gp)});
    const core::IoctlDesc* gr = nv::find_versioned(nv::rm_controls(), nv::NV2080_CTRL_CMD_GR_GET_INFO);
    ASSERT_NE(gr, nullptr);
    rc.buffers.push_back(IoctlBuffer{.tag = 0x100 + buffer_tag(*gr, "grInfoList"),
                                     .address = gp.grInfoList,
                                     .before = {reinterpret_cast<const uint8_t*>(info_in),
                                                sizeof info_in},
                                     .after = {reinterpret_cast<const uint8_t*>(info_out),
                                               sizeof info_out}});
    ASSERT_TRUE(t.append(rc, meta()).ok());
    ASSERT_TRUE(t.finish().ok());
  }
  const std::string out = decode(path("b.rgtrace"));
  EXPECT_TRUE(has_line(out, {"AMDKFD_IOC_MAP_MEMORY_TO_GPU{", "n_devices=2"})) << out;
  if (!kfd::kfd_ioctl(kfd::KfdIoctl::MAP_MEMORY_TO_GPU).buffers.empty()) {
    EXPECT_TRUE(has_line(out, {"buffer 1 device_ids (uint32_t) @0x7f0000003000: 8 bytes in"}))
        << out;
    EXPECT_TRUE(has_line(out, {"[1] uint32_t{", "22136"})) << out;  // 0x5678 as a gpu_id
  }
  EXPECT_TRUE(has_line(out, {"NV_ESC_RM_CONTROL NV2080_CTRL_CMD_GR_GET_INFO{", "grInfoListSize=2"}))
      << out;
  if (!gr_has_buffers()) return;
  EXPECT_TRUE(has_line(out, {"grInfoList (NV2080_CTRL_GR_INFO) @0x7f0000004000"})) << out;
  EXPECT_TRUE(has_line(out, {"[0] NV2080_CTRL_GR_INFO{index=0x1} => {data=84}"})) << out;
}

// ---- corrupt and torn traces --------------------------------------------------------------------

std::vector<uint8_t> slurp_bytes(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
void spit(const std::string& p, const std::vector<uint8_t>& b) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

TEST_F(DecodeTest, CorruptTraceEndsInErrorNamingTheOffset) {
  {
    auto w = TraceWriter::create(path("c.rgtrace"));
    ASSERT_TRUE(w.ok());
    write_kfd(**w);
    ASSERT_TRUE((*w)->flush().ok());
  }
  std::vector<uint8_t> b = slurp_bytes(path("c.rgtrace"));
  // Drop END and write a record of type 0 instead.
  b.resize(b.size() - 32);
  const size_t bad_at = b.size();
  b.resize(b.size() + 24, 0);
  spit(path("c.rgtrace"), b);
  core::Result<DecodeStats> st = DecodeStats{};
  const std::string out = decode(path("c.rgtrace"), &st);
  ASSERT_FALSE(st.ok());
  char off[32];
  std::snprintf(off, sizeof off, "0x%zx", bad_at);
  EXPECT_NE(st.error().message().find(off), std::string::npos) << st.error().message();
  EXPECT_TRUE(has_line(out, {"PM4 DISPATCH_DIRECT"})) << out;  // everything before was printed
}

TEST_F(DecodeTest, TornTailIsAWarningNotAnError) {
  {
    auto w = TraceWriter::create(path("t.rgtrace"));
    ASSERT_TRUE(w.ok());
    write_nv(**w);
    ASSERT_TRUE((*w)->flush().ok());
  }
  std::vector<uint8_t> b = slurp_bytes(path("t.rgtrace"));
  b.resize(b.size() - 32 - 10);  // END gone, last record cut
  spit(path("t.rgtrace"), b);
  core::Result<DecodeStats> st = core::Error::internal("unset", "");
  const std::string out = decode(path("t.rgtrace"), &st);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(st->truncated);
  EXPECT_FALSE(st->ended);
  EXPECT_TRUE(has_line(out, {"GP_ENTRY{"})) << out;
}

TEST_F(DecodeTest, GarbageArgumentsAndStreamsNeverCrash) {
  // Known requests with short, long and empty arguments; streams of noise on every driver.
  auto w = TraceWriter::create(path("g.rgtrace"));
  ASSERT_TRUE(w.ok());
  TraceWriter& t = **w;
  ASSERT_TRUE(t.append(open_rec("/dev/kfd", 3), meta()).ok());
  ASSERT_TRUE(t.append(open_rec("/dev/nvidiactl", 4), meta()).ok());
  ASSERT_TRUE(t.append(open_rec("/dev/kgsl-3d0", 6), meta()).ok());
  std::vector<uint8_t> noise(300);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>(i * 37 + 11);
  const std::span<const uint8_t> n(noise);
  auto first = [&](size_t len) { return n.first(std::min(len, n.size())); };
  for (const core::IoctlDesc& d : kfd::kfd_ioctls().rows) {
    ASSERT_TRUE(t.append(ioctl_rec(3, d.request(), first(3), first(200)), meta()).ok());
    ASSERT_TRUE(t.append(ioctl_rec(3, d.request(), n, {}), meta()).ok());
  }
  for (const core::IoctlDesc& d : nv::nv_ioctls().rows) {
    IoctlRecord r = ioctl_rec(4, d.request(), first(d.size > 5 ? d.size - 5 : 0), n);
    r.buffers.push_back(IoctlBuffer{.tag = 0, .address = 1, .before = n.first(7), .after = n});
    r.buffers.push_back(IoctlBuffer{.tag = 99, .address = 2, .before = {}, .after = {}});
    ASSERT_TRUE(t.append(r, meta()).ok());
    ASSERT_TRUE(t.append(ioctl_rec(4, d.request(), first(d.size), first(d.size)), meta()).ok());
  }
  for (const core::IoctlDesc& d : qcom::kgsl_ioctls().rows)
    ASSERT_TRUE(t.append(ioctl_rec(6, d.request(), first(d.size), first(d.size / 2)), meta()).ok());
  for (uint32_t drv = 0; drv < 9; ++drv)
    for (size_t len : {0, 3, 8, 64, 300})
      ASSERT_TRUE(t.append(SubmissionRecord{.driver = drv, .queue = 5, .address = 0,
                                            .data = first(len)},
                           meta())
                      .ok());
  ASSERT_TRUE(t.finish().ok());
  core::Result<DecodeStats> st = core::Error::internal("unset", "");
  const std::string out = decode(path("g.rgtrace"), &st);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_GT(st->packets_unknown, 0u);
}

// ---- the command line --------------------------------------------------------------------------

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

CliRun run_cli(const fs::path& dir, const std::vector<std::string>& args) {
  const std::string out_path = (dir / "stdout").string(), err_path = (dir / "stderr").string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv_s = {RAWGPU_CLI};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  CliRun r;
  const int rc = posix_spawn(&pid, RAWGPU_CLI, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return r;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

TEST_F(DecodeTest, CommandLineTextJsonGrep) {
  {
    auto w = TraceWriter::create(path("cli.rgtrace"), WriterOptions{.zstd = true});
    ASSERT_TRUE(w.ok());
    write_kfd(**w);
    ASSERT_TRUE((*w)->finish().ok());
  }
  const CliRun text = run_cli(dir_, {"decode", path("cli.rgtrace")});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(has_line(text.out, {"#1 ", "tid=42 IOCTL fd=3 AMDKFD_IOC_CREATE_QUEUE{"})) << text.out;
  EXPECT_TRUE(has_line(text.out, {"    0x", "PM4 DISPATCH_DIRECT{"})) << text.out;
  EXPECT_NE(text.err.find("records: 4 ioctls (3 decoded, 1 unknown), 2 submissions (3 packets, "
                          "0 unknown)"),
            std::string::npos)
      << text.err;

  const CliRun js = run_cli(dir_, {"decode", "--json", path("cli.rgtrace")});
  EXPECT_EQ(js.exit_code, 0) << js.err;
  std::istringstream in(js.out);
  size_t lines = 0;
  bool saw_queue = false;
  for (std::string line; std::getline(in, line); ++lines) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    ASSERT_TRUE(j.contains("summary") && j.contains("type") && j.contains("details"));
    if (j["name"] == "AMDKFD_IOC_CREATE_QUEUE") saw_queue = true;
  }
  EXPECT_TRUE(saw_queue);
  EXPECT_EQ(lines, 9u);  // every record, END included

  const CliRun g = run_cli(dir_, {"decode", "--grep", "DISPATCH_DIRECT", path("cli.rgtrace")});
  EXPECT_EQ(g.exit_code, 0);
  EXPECT_TRUE(has_line(g.out, {"SUBMISSION kfd queue=0x5"})) << g.out;
  EXPECT_FALSE(has_line(g.out, {"OPEN"})) << g.out;
  EXPECT_FALSE(has_line(g.out, {"queue=0x6"})) << g.out;

  // Corruption: exit 1, the error names the offset; a missing file likewise fails cleanly.
  std::vector<uint8_t> b = slurp_bytes(path("cli.rgtrace"));
  b[20] ^= 0xFF;  // the header's page size is harmless; break the magic instead
  b[0] = 'X';
  spit(path("bad.rgtrace"), b);
  const CliRun bad = run_cli(dir_, {"decode", path("bad.rgtrace")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("rawgpu decode:"), std::string::npos) << bad.err;
  const CliRun none = run_cli(dir_, {"decode", path("missing.rgtrace")});
  EXPECT_EQ(none.exit_code, 1) << none.err;
}

}  // namespace
}  // namespace rawgpu::trace

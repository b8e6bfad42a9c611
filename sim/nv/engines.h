// rawgpu — the simulated NVIDIA GPU's engines: one thread per GPU that, like the host interface
// (PBDMA), fetches GPFIFO entries of every scheduled channel and executes their pushbuffers with
// the method tables of nv_ioctl/packets.h: host-class semaphores (acquire/release, 64-bit
// payloads, timestamps, non-stall interrupts), the compute class (QMD launches through
// SEND_PCAS_A + SEND_SIGNALING_PCAS2_B and inline QMDs, run from simulator cubins, release
// semaphores, dependent QMDs) and the copy class (LAUNCH_DMA copies and semaphores).
//
// The contract with RM (sim/nv/rm.*): RM builds a ChannelState when a GPFIFO channel is allocated,
// records the engine objects allocated on it, adds it to the GPU's Engines when its channel group
// is scheduled (NVA06C_CTRL_CMD_GPFIFO_SCHEDULE) and removes it when the channel is freed. The
// engines report through the channel's ChannelSink, which RM implements (error notifier, Xid
// line in the kernel log, OS events).
//
// Doorbells: the work-submit token written at usermode page + NVC361_NOTIFY_CHANNEL_PENDING makes
// the host fetch. The simulator cannot see every store to that page (exchange with 0 observes
// the last one; two channels submitting back to back overwrite each other's token), so each
// doorbell it observes makes every scheduled channel fetch until its GP_GET reaches GP_PUT.
// Entries published without any doorbell afterwards are never fetched (as on hardware: GP_PUT
// alone does nothing), which catches a runtime that forgets the doorbell; a forgotten doorbell
// on one channel is masked when another channel rings. A token that names no scheduled channel
// is counted (stray_doorbells) and logged.
//
// What the engines accept (anything else stops the channel with an Xid, see below):
// - GPFIFO: GP_PUT (USERD +0x8C) is a ring index < gpFifoEntries; entries as
//   nv::encode_gpfifo_entry writes them (no control entries); GP_GET (+0x88) is written back
//   (release) after each entry's pushbuffer has completed.
// - Pushbuffers: nv::decode_entry / nv::resolve_write rules (no reserved bits, data words within
//   the entry, every method in its class table with defined field values). SET_OBJECT must name
//   the channel's compute_class or copy_class; methods >= 0x100 need a bound subchannel.
// - Host: SEM_EXECUTE RELEASE / REDUCTION / ACQUIRE / ACQ_STRICT_GEQ / ACQ_CIRC_GEQ / ACQ_AND /
//   ACQ_NOR with 32- or 64-bit payloads (compare in that width; CIRC: (value - payload) as a
//   signed number >= 0); 64-bit payloads and timestamps need 8-byte alignment, else 4. An
//   unsatisfied acquire stalls only its channel. MEM_OP_D: any operation but MMU_OPERATION and
//   ACCESS_COUNTER_CLR. NON_STALL_INTERRUPT -> ChannelSink::on_nonstall_interrupt.
// - Compute launches (SEND_PCAS_A + SEND_SIGNALING_PCAS2_B *SCHEDULE actions, the older
//   SEND_SIGNALING_PCAS_B SCHEDULE, or a complete LOAD_INLINE_QMD_DATA(0..n-1) after
//   SET_INLINE_QMD_ADDRESS_A/B, which also stores the QMD at that address): a QMD of the
//   profile's version (decode_qmd rules), QMD_TYPE GRID_CTA, non-empty grid, 1..min(1024,
//   max_threads_per_block) threads; the program address holds a SimNvEntryStub (real SASS is
//   refused) whose blob header has RG_SIM_ABI_VERSION; CONSTANT_BUFFER(0) valid, its size >=
//   stub.param_offset + stub.param_size, and its words 0x00/0x04/0x08 = CTA_THREAD_DIMENSION0..2,
//   0x0C/0x10/0x14 = the grid (nv_ioctl/cubin.h kCbank0*); the kernel parameters are cbuf0 +
//   param_offset; SHARED_MEMORY_SIZE >= stub.shared_size (+ the SmFacts shared_reserve, 1 KiB on
//   sm_90) and <= max_shared_per_block (+ reserve); on Hopper+ the shared window 4 GiB aligned.
//   After the grid: RELEASE(i) semaphores (FOUR_WORDS: payload + timestamp at +8; ONE_WORD;
//   TWO_WORDS: 64-bit payload; PAYLOAD64B = 0 writes 32 bits only), then DEPENDENT_QMD(i) with
//   action SCHEDULE or INVALIDATE_COPY_SCHEDULE run (at most 65536 QMDs per launch).
// - Copies (LAUNCH_DMA): virtual addresses, PITCH layouts, no REMAP, no scrub/protected modes;
//   MULTI_LINE_ENABLE copies LINE_COUNT lines of LINE_LENGTH_IN bytes with PITCH_IN/OUT. The
//   semaphore follows the copy: type 1 payload only, type 2 payload + timestamp at +8;
//   SEMAPHORE_PAYLOAD_SIZE TWO_WORD (C7B5+) writes SET_SEMAPHORE_PAYLOAD_UPPER too.
// Errors: the channel's fault holds "ch <chid> GPFIFO[<slot>] pb+<dword offset>: <CLASS.METHOD>:
// <what>"; Xid 31 for GPU page faults (pushbuffer, QMD, kernel, copy, semaphore), 43 for
// malformed GPFIFO entries and method headers, 13 for everything else.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "sim/gpu_memory.h"
#include "sim/nv/profile.h"

namespace rawgpu::sim::nv {

struct ChannelState;

// Xid numbers the engines report (NVIDIA's "Xid Errors" documentation).
inline constexpr uint32_t kXidGraphicsException = 13;  // illegal method / launch error
inline constexpr uint32_t kXidMmuFault = 31;           // GPU page fault
inline constexpr uint32_t kXidPbdmaError = 43;         // host: malformed GPFIFO entry / pushbuffer

// What the engines tell RM.
class ChannelSink {
 public:
  virtual ~ChannelSink() = default;
  // NON_STALL_INTERRUPT (host method 0x20) executed on the channel.
  virtual void on_nonstall_interrupt(ChannelState& ch) = 0;
  // The channel hit an error and stopped (faulted is set first): RM writes the channel's error
  // notifier (NvNotification, status 0xFFFF, info32 = xid) and logs
  // "NVRM: Xid (PCI:...): <xid>, pid=..., Ch <chid>, <what>".
  virtual void on_channel_error(ChannelState& ch, uint32_t xid, const std::string& what) = 0;
};

// One GPFIFO channel as the GPU sees it.
struct ChannelState {
  uint32_t chid = 0;               // channel id (what the Xid line and token name)
  uint32_t work_submit_token = 0;  // NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN
  uint32_t channel_class = 0;      // HOPPER_CHANNEL_GPFIFO_A ...
  uint32_t hClient = 0, hChannel = 0;
  uint64_t gpfifo_va = 0;         // NV_CHANNEL_ALLOC_PARAMS.gpFifoOffset
  uint32_t gpfifo_entries = 0;    // .gpFifoEntries (a power of two)
  uint8_t* userd = nullptr;       // host pointer of the 512-byte USERD (GP_GET 0x88, GP_PUT 0x8C)
  std::shared_ptr<Bo> userd_bo;   // keeps it alive
  std::shared_ptr<PageTable> vm;  // the channel's VA space (UVM-managed)
  // Engine objects RM allocated on this channel (class ids; 0 = none). SET_OBJECT of any other
  // class is an error, as is a method on a subchannel nothing was bound to.
  uint32_t compute_class = 0;
  uint32_t copy_class = 0;
  ChannelSink* sink = nullptr;

  // Engine-side state, visible to RM and tests.
  std::atomic<bool> faulted{false};
  std::mutex fault_mu;
  std::string fault;  // the first error, as on_channel_error got it
};

class Engines {
 public:
  // `usermode` is the GPU's 64 KiB usermode page (what the process maps; the doorbell at 0x90).
  Engines(const Profile& profile, std::shared_ptr<Bo> usermode);
  ~Engines();
  Engines(const Engines&) = delete;
  Engines& operator=(const Engines&) = delete;

  // Starts fetching the channel (at schedule time). The channel's fields above `faulted` must not
  // change afterwards.
  void add(std::shared_ptr<ChannelState> ch);
  // Stops; returns once the engine thread no longer touches the channel.
  void remove(const ChannelState* ch);

  // Counters for tests and benchmarks.
  uint64_t methods_executed() const;
  uint64_t launches() const;
  // Doorbell tokens that named no scheduled channel.
  uint64_t stray_doorbells() const;
  // GPFIFO entries whose pushbuffer completed (GP_GET advanced).
  uint64_t gpfifo_entries_executed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The GPU's nanosecond timer (PTIMER), what semaphore and QMD release timestamps hold: host
// steady-clock nanoseconds.
uint64_t gpu_time_ns();

}  // namespace rawgpu::sim::nv

// rawgpu — the trace decoder: every record of a trace (docs/trace-format.md) named and printed
// from the one description of each ABI (kfd/describe.*, nv_ioctl/describe.*, qcom_kgsl/describe.*)
// and packet format (kfd/packets.*, nv_ioctl/packets.*, qcom_kgsl/packets.*). Used by
// `rawgpu decode`, by `rawgpu replay` (a divergence prints both calls decoded) and by the fuzzer.
//
// The decoder keeps the state a trace implies — which driver is behind each fd (OPEN/DUP/CLOSE),
// the type of each KFD queue (CREATE_QUEUE), NV channel classes — so it must see the records in
// order. Untrusted input: unknown requests, records and packets print as hex and mark the record
// `unknown`; nothing in a trace can crash it.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "tools/trace/trace.h"

namespace rawgpu::trace {

struct DecodedRecord {
  uint64_t index = 0;         // 0-based position in the trace
  uint64_t offset = 0;        // RecordView::offset
  uint64_t timestamp_ns = 0;  // since the trace started (header start_monotonic_ns)
  uint32_t tid = 0;
  uint32_t type = 0;          // RecordType value
  std::string summary;        // one line: "IOCTL fd=3 AMDKFD_IOC_CREATE_QUEUE{...} = 0"
  std::vector<std::string> details;  // nested buffers, one line per decoded packet, hex dumps
  bool unknown = false;       // some part printed as hex because it is not described
};

struct DecodeOptions {
  bool packets = true;           // decode SUBMISSION streams packet by packet
  uint32_t max_detail_lines = 4096;  // per record; the rest is summarized as "... N more"
};

class Decoder {
 public:
  explicit Decoder(const FileHeader& header, DecodeOptions options = {});
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes one record and updates the state. A record whose payload is malformed returns the
  // reader's error (decode() failed).
  core::Result<DecodedRecord> decode(const RecordView& view);
  // The same record as one JSON object (no trailing newline).
  std::string json(const DecodedRecord& r) const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

struct DecodeStats {
  uint64_t records = 0;
  uint64_t ioctls = 0;
  uint64_t ioctls_known = 0;    // request found in a description table with matching size
  uint64_t ioctls_unknown = 0;  // printed as hex
  uint64_t submissions = 0;
  uint64_t packets = 0;
  uint64_t packets_unknown = 0;
  bool truncated = false;  // the trace ends in a torn record
  bool ended = false;      // an END record was read
};

struct DecodeFileOptions {
  bool json = false;     // JSON lines instead of text
  std::string grep;      // print only records whose text (summary + details) contains this
  DecodeOptions decode;
};

// Decodes the trace at `path` onto `out`. Corruption ends in the reader's error after every
// record before it was printed; the statistics cover what was decoded.
core::Result<DecodeStats> decode_file(const std::string& path, const DecodeFileOptions& options,
                                      std::ostream& out);

}  // namespace rawgpu::trace

#include "core/device_name.h"

#include <gtest/gtest.h>

using rawgpu::core::DeviceName;
using rawgpu::core::parse_device_name;
using rawgpu::core::Vendor;

TEST(DeviceName, ParsesEverySpelling) {
  struct Case {
    const char* in;
    Vendor v;
    bool sim;
    uint32_t idx;
  } cases[] = {
      {"amd:0", Vendor::kAmd, false, 0},       {"nv:1", Vendor::kNvidia, false, 1},
      {"qcom:0", Vendor::kQualcomm, false, 0}, {"sim-amd:3", Vendor::kAmd, true, 3},
      {"sim-nv:0", Vendor::kNvidia, true, 0},  {"sim-qcom:12", Vendor::kQualcomm, true, 12},
      {"nv", Vendor::kNvidia, false, 0},       {"sim-amd", Vendor::kAmd, true, 0},
  };
  for (const Case& c : cases) {
    auto r = parse_device_name(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.error().message();
    EXPECT_EQ(r->vendor, c.v) << c.in;
    EXPECT_EQ(r->simulated, c.sim) << c.in;
    EXPECT_EQ(r->index, c.idx) << c.in;
  }
}

TEST(DeviceName, CanonicalRoundTrip) {
  for (const char* s : {"amd:0", "nv:7", "qcom:1", "sim-amd:0", "sim-nv:2", "sim-qcom:0"}) {
    auto r = parse_device_name(s);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->str(), s);
    EXPECT_EQ(*parse_device_name(r->str()), *r);
  }
  EXPECT_EQ(parse_device_name("nv")->str(), "nv:0");
}

TEST(DeviceName, RejectsBadInputWithTheAcceptedSpellings) {
  for (const char* s : {"", "gpu:0", "cuda:0", "nv:", "nv:x", "nv:-1", "nv:1x", "amd:99999",
                        "sim-:0", "sim-sim-nv:0", "NV:0", "nv:0:1", "nv 0", ":0"}) {
    auto r = parse_device_name(s);
    ASSERT_FALSE(r.ok()) << "'" << s << "' parsed";
    EXPECT_NE(r.error().message().find("expected amd:N, nv:N"), std::string::npos)
        << r.error().message();
  }
}

// Every nv_ioctl header in one translation unit: one definition of each ABI name (class ids live
// only in nv_ioctl/classes.h).
#include <gtest/gtest.h>

#include "nv_ioctl/abi.h"
#include "nv_ioctl/cubin.h"
#include "nv_ioctl/describe.h"
#include "nv_ioctl/ioctl.h"
#include "nv_ioctl/loader.h"
#include "nv_ioctl/nvrtc.h"
#include "nv_ioctl/packets.h"

TEST(NvHeaders, ClassIdsHaveOneDefinition) {
  EXPECT_EQ(rawgpu::nv::HOPPER_COMPUTE_A, 0xCBC0u);
  EXPECT_EQ(rawgpu::nv::class_kind(rawgpu::nv::HOPPER_COMPUTE_A), rawgpu::nv::ClassKind::kCompute);
  EXPECT_EQ(rawgpu::nv::class_kind(rawgpu::nv::FERMI_VASPACE_A), std::nullopt);
}

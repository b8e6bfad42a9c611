#include "core/error.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>

using rawgpu::core::Error;
using rawgpu::core::ErrorKind;
using rawgpu::core::Result;
using rawgpu::core::Status;

TEST(Error, SysMessageNamesOpErrnoAndHint) {
  Error e = Error::sys("AMDKFD_IOC_CREATE_QUEUE", EINVAL, "ring size must be a power of two");
  EXPECT_EQ(e.kind(), ErrorKind::kSys);
  EXPECT_EQ(e.err(), EINVAL);
  EXPECT_EQ(e.message(),
            "AMDKFD_IOC_CREATE_QUEUE: EINVAL (Invalid argument): ring size must be a power of two");
}

TEST(Error, DriverStatusKeptByNameAndValue) {
  Error e = Error::driver("NV_ESC_RM_ALLOC NV01_MEMORY_LOCAL_USER", 0x51, "NV_ERR_NO_MEMORY",
                          "VRAM allocation refused; free buffers or lower batch");
  EXPECT_EQ(e.status(), 0x51);
  EXPECT_EQ(e.status_name(), "NV_ERR_NO_MEMORY");
  EXPECT_EQ(e.err(), 0);
  EXPECT_EQ(e.message(),
            "NV_ESC_RM_ALLOC NV01_MEMORY_LOCAL_USER: driver status NV_ERR_NO_MEMORY (0x51): VRAM "
            "allocation refused; free buffers or lower batch");
}

TEST(Error, ErrnoAndDriverStatusBothShown) {
  Error e(ErrorKind::kDriver, "IOCTL_KGSL_GPU_COMMAND", EDEADLK, 3, "KGSL_CTX_STAT_GUILTY", "");
  EXPECT_NE(e.message().find("EDEADLK"), std::string::npos);
  EXPECT_NE(e.message().find("KGSL_CTX_STAT_GUILTY"), std::string::npos);
}

TEST(Error, ContextPrepends) {
  Error e = Error::timeout("wait signal 0x1000 >= 5", "queue compute0 stuck");
  e.context("sim-amd:0");
  EXPECT_EQ(e.op(), "sim-amd:0: wait signal 0x1000 >= 5");
  EXPECT_EQ(e.kind(), ErrorKind::kTimeout);
  EXPECT_EQ(e.err(), ETIMEDOUT);
}

TEST(Error, ErrnoNames) {
  EXPECT_STREQ(rawgpu::core::errno_name(ENOTTY), "ENOTTY");
  EXPECT_STREQ(rawgpu::core::errno_name(EFAULT), "EFAULT");
  EXPECT_STREQ(rawgpu::core::errno_name(123456), "E???");
}

namespace {
Result<int> half(int x) {
  if (x % 2) return Error::invalid("half", "odd");
  return x / 2;
}
Result<int> quarter(int x) {
  RAWGPU_ASSIGN(int h, half(x));
  RAWGPU_ASSIGN(int q, half(h));
  return q;
}
Status check_even(int x) {
  RAWGPU_TRY(half(x));
  return {};
}
}  // namespace

TEST(Result, ValueAndErrorPropagate) {
  auto r = quarter(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2);
  auto bad = quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().hint(), "odd");
  EXPECT_TRUE(check_even(4).ok());
  EXPECT_FALSE(check_even(3).ok());
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  ASSERT_TRUE(r);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

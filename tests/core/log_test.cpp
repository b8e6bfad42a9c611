#include "core/log.h"

#include <gtest/gtest.h>

using namespace rawgpu::core;

TEST(Log, LevelsGateOutput) {
  int saved = debug_level();
  set_debug_level(0);
  EXPECT_TRUE(log_enabled(LogLevel::kWarn));
  EXPECT_FALSE(log_enabled(LogLevel::kInfo));
  EXPECT_FALSE(log_ioctls());
  set_debug_level(2);
  EXPECT_TRUE(log_enabled(LogLevel::kDebug));
  EXPECT_FALSE(log_enabled(LogLevel::kTrace));
  set_debug_level(4);
  EXPECT_TRUE(log_enabled(LogLevel::kTrace));
  EXPECT_TRUE(log_ioctls());
  set_debug_level(99);
  EXPECT_EQ(debug_level(), 4);
  set_debug_level(-3);
  EXPECT_EQ(debug_level(), 0);
  set_debug_level(saved);
}

TEST(Log, WritesToStderrNotStdout) {
  int saved = debug_level();
  set_debug_level(1);
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  log_info("hello from the log test");
  log_debug("not shown at level 1");
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  set_debug_level(saved);
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("hello from the log test"), std::string::npos);
  EXPECT_EQ(err.find("not shown"), std::string::npos);
}

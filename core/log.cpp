#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>

namespace rawgpu::core {
namespace {

int parse_env_level() {
  const char* s = std::getenv("RAWGPU_DEBUG");
  if (!s || !*s) return 0;
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0') return 0;
  return v < 0 ? 0 : (v > 4 ? 4 : static_cast<int>(v));
}

std::atomic<int>& level_ref() {
  static std::atomic<int> level{parse_env_level()};
  return level;
}

spdlog::level::level_enum to_spdlog(int debug) {
  switch (debug) {
    case 0: return spdlog::level::warn;
    case 1: return spdlog::level::info;
    case 2: return spdlog::level::debug;
    default: return spdlog::level::trace;
  }
}

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto lg = spdlog::stderr_color_mt("rawgpu");
    lg->set_pattern("[rawgpu %^%l%$] %v");
    lg->set_level(to_spdlog(level_ref().load()));
    return lg;
  }();
  return *l;
}

}  // namespace

int debug_level() { return level_ref().load(std::memory_order_relaxed); }

void set_debug_level(int level) {
  level = level < 0 ? 0 : (level > 4 ? 4 : level);
  level_ref().store(level);
  logger().set_level(to_spdlog(level));
}

bool log_ioctls() { return debug_level() >= 4; }

bool log_enabled(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
    case LogLevel::kWarn: return true;
    case LogLevel::kInfo: return debug_level() >= 1;
    case LogLevel::kDebug: return debug_level() >= 2;
    case LogLevel::kTrace: return debug_level() >= 3;
  }
  return false;
}

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  spdlog::level::level_enum l = spdlog::level::trace;
  switch (level) {
    case LogLevel::kError: l = spdlog::level::err; break;
    case LogLevel::kWarn: l = spdlog::level::warn; break;
    case LogLevel::kInfo: l = spdlog::level::info; break;
    case LogLevel::kDebug: l = spdlog::level::debug; break;
    case LogLevel::kTrace: l = spdlog::level::trace; break;
  }
  logger().log(l, "{}", message);
}

}  // namespace rawgpu::core

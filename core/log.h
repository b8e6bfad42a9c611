// rawgpu — logging. spdlog underneath, to stderr (nothing below tools/ prints to stdout).
// Verbosity from RAWGPU_DEBUG: 0 warnings and errors (default), 1 info, 2 debug, 3 trace,
// 4 trace plus every ioctl decoded (log_ioctls()).
// This header stays light: it exposes printf-free string functions; spdlog is an implementation
// detail of core/log.cpp.
#pragma once

#include <string_view>

namespace rawgpu::core {

enum class LogLevel : int { kError = 0, kWarn, kInfo, kDebug, kTrace };

// The level RAWGPU_DEBUG asked for (read once; set_debug_level overrides).
int debug_level();
void set_debug_level(int level);
// True at RAWGPU_DEBUG=4: backends print every ioctl through the decoder.
bool log_ioctls();
bool log_enabled(LogLevel level);

void log(LogLevel level, std::string_view message);
inline void log_error(std::string_view m) { log(LogLevel::kError, m); }
inline void log_warn(std::string_view m) { log(LogLevel::kWarn, m); }
inline void log_info(std::string_view m) { log(LogLevel::kInfo, m); }
inline void log_debug(std::string_view m) { log(LogLevel::kDebug, m); }
inline void log_trace(std::string_view m) { log(LogLevel::kTrace, m); }

}  // namespace rawgpu::core

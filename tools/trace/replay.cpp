#include "tools/trace/replay.h"

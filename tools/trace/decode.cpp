#include "tools/trace/decode.h"

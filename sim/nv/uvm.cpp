// TEMPORARY placeholder (replaced by the RM/UVM implementation).
#include "sim/nv/machine.h"

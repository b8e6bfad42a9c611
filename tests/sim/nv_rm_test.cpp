// TEMPORARY placeholder (the RM/UVM tests replace it).
#include <gtest/gtest.h>

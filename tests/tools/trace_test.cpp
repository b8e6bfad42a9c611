// TEMPORARY placeholder.
#include <gtest/gtest.h>

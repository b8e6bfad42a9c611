// TEMPORARY placeholder (the engines' tests replace it).
#include <gtest/gtest.h>

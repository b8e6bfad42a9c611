// Placeholder until the loader tests land.
#include <gtest/gtest.h>

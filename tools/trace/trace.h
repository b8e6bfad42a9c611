// TEMPORARY placeholder (being written).
#pragma once

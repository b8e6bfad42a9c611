// TEMPORARY placeholder (being written).

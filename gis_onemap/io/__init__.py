"""Import and export of the 8 categories in the formats and coordinate systems bureaus use."""

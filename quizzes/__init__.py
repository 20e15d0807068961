"""Question banks and the quiz engine: pure domain code, no I/O beyond reading bank files."""

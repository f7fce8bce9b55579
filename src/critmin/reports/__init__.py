"""Reports: tables and text from results; formats, never computes."""

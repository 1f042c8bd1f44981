"""Dataset knowledge: transcripts and labels encoded in public datasets' file names."""

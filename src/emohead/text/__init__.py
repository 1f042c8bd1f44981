"""Transcripts: forced alignment to phone timings, or phone recognition when there is no transcript."""

"""Shared network pieces: the config-carrying base class, blocks, discriminators, losses (one home each)."""

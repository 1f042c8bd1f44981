"""Audio loading (any format, 16 kHz mono) and frame-level features at 25 fps."""

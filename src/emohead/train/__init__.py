"""Training: Lightning modules per model, one ``emohead train`` command, safetensors export."""

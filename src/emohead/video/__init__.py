"""Video decode, encode and mux."""

"""Embeddings (the packaged all-MiniLM-L6-v2) and the Chroma store of products and reviews."""

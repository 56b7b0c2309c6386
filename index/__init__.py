"""The on-disk collection: embeddings in FAISS, texts in SQLite, BM25, and search over them."""

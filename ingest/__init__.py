"""Turn files into cleaned documents and token-bounded chunks."""

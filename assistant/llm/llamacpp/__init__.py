"""The embedded llama.cpp model: the LangChain chat model, its one decoding thread, the greedy grammar-checked
decoder with prompt-lookup speculation, and the cache of KV states for fixed prompt prefixes."""

"""LLM providers behind one factory: local llama.cpp, OpenAI, OpenAI-compatible servers, scripted (tests)."""

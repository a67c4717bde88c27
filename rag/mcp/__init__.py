"""The MCP server (``python -m rag.mcp``); its code is in server.py."""

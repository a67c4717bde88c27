"""The browser chat (Gradio). Not built yet: see the browser-chat issue."""

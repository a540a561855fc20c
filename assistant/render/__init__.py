"""The presentation layer every channel shares (the Gradio UI, the Slack bot): tool output -> images and files.

It may import `tools.base` and `assistant.core` only, so a channel can use it without pulling in another channel.
"""

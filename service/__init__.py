"""The HTTP service: app factory, routes, the answerer, the chat page and the widget."""

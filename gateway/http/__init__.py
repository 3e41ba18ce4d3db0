"""The ASGI edge: the Starlette app, GraphQL over HTTP and WebSocket, limits, probes.
The only package that imports `resolvers`."""

"""Document models (pydantic) and GraphQL types (Strawberry) of ClusterHub."""

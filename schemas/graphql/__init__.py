"""Strawberry types, inputs and enums of the public GraphQL schema."""

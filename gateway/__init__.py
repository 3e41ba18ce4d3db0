"""ClusterHub gateway: the service around the GraphQL schema (app, store, CLI, matching)."""

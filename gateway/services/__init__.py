"""Use cases: one function per operation, applying access, validation, writes, matching
and audit. The GraphQL resolvers, the CLI and the tests call these, never the store."""

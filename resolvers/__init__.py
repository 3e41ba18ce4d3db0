"""Query, Mutation and Subscription resolvers and DataLoaders: thin calls into `gateway`."""

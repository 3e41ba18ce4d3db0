"""ClusterHub's service, in layers: domain, store, live, services, http, tools."""

// GraphQL over HTTP to the hub that served this page, and the documents the dashboard
// sends. URLs are relative to the page, so a path prefix in front of the hub is kept.

export const GRAPHQL_URL = new URL("graphql", window.location.href);
export const SOCKET_URL = Object.assign(new URL(GRAPHQL_URL), {
  protocol: GRAPHQL_URL.protocol === "https:" ? "wss:" : "ws:",
});

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** `data` of a query run with the key; ApiError (with the hub's `code`) on any error. */
export async function query(key, document, variables = {}) {
  const response = await fetch(GRAPHQL_URL, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: document, variables }),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`the hub answered ${response.status}`, "HTTP");
  }
  const [error] = body.errors || [];
  if (error) throw new ApiError(error.message, error.extensions?.code);
  return body.data;
}

// matchCursor: where the first subscription starts, so a drop before the first match
// loses nothing either
export const VIEWER = `{ viewer { role clusterId organisationId } matchCursor }`;

export const CLUSTERS = `query Clusters($after: String) {
  clusters(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { key name } }
  }
}`;

/** The fields of a type (null where introspection is off): what the schema offers now. */
export const TYPE_FIELDS = `query TypeFields($name: String!) {
  __type(name: $name) {
    fields { name type { ...Named ofType { ...Named ofType { ...Named ofType { ...Named } } } } }
  }
}
fragment Named on __Type { kind name }`;

export const COVERAGE = `query Coverage($needs: PartyFilter!, $offers: PartyFilter!) {
  coverage(needs: $needs, offers: $offers) {
    needed covered share coveredWithTraining shareWithTraining
  }
}`;

/** matchFound with the explanation's selection, which follows the schema. */
export function matchFound(explanation) {
  const side = "key title clusterIds organisation { key name }";
  return `subscription Live($filter: MatchFilter, $after: String) {
  matchFound(filter: $filter, after: $after) {
    key cursor kind score status active
    offer { ${side} }
    need { ${side} }
    explanation { ${explanation} }
    suggestedTrainings { key title organisation { name } }
  }
}`;
}

/** Every cluster the directory lists, following its pages. */
export async function allClusters(key) {
  const clusters = [];
  let after = null;
  for (;;) {
    const page = (await query(key, CLUSTERS, { after })).clusters;
    clusters.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return clusters;
    after = page.pageInfo.endCursor;
  }
}

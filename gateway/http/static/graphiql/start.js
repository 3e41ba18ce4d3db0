// GraphiQL on the hub: queries over HTTP to this page's URL, subscriptions over a
// WebSocket to the same path (graphql-transport-ws). The request headers typed in the
// Headers tab, e.g. {"Authorization": "Bearer <key>"}, become the WebSocket's
// connection_init payload. Headers are not persisted, so keys do not outlive the tab.
"use strict";

(function () {
  const WELCOME = `# ClusterHub GraphiQL
#
# Anonymous callers see the public cluster directory. With an API key, open
# "Headers" below and enter {"Authorization": "Bearer <key>"}; subscriptions
# (e.g. subscription { matchFound { score } }) send it in connection_init.
#
# Run: Ctrl-Enter, or the play button.

{
  clusters(first: 10) { edges { node { id name kind } } }
}
`;

  const url = window.location.href.split(/[?#]/)[0];
  const socketUrl = new URL(url);
  socketUrl.protocol = socketUrl.protocol === "https:" ? "wss:" : "ws:";

  const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl: socketUrl.toString() });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  function Hub() {
    return React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: WELCOME,
      plugins: [explorer],
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(Hub));
})();

// Starts GraphiQL against this server's /graphql: queries over HTTP, subscriptions over
// graphql-ws (graphql-transport-ws) on the same path. Served by Vitrine; no other origin.
(function () {
  var url = new URL('/graphql', window.location.href).href;
  var wsUrl = url.replace(/^http/, 'ws');
  var fetcher = GraphiQL.createFetcher({
    url: url,
    wsClient: graphqlWs.createClient({ url: wsUrl, lazy: true }),
  });
  var defaultQuery = [
    '# Vitrine: product pages, listings, checkout and live prices from Kafka-fed views.',
    '{',
    '  product(id: "p000042") {',
    '    id title brand',
    '    variants { sku price { amount currencyCode } quantityAvailable availableForSale }',
    '  }',
    '}',
    '',
  ].join('\n');
  // `/?query=...` opens GraphiQL on that query (links from docs, tests).
  var query = new URLSearchParams(window.location.search).get('query') || undefined;
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: defaultQuery,
    query: query,
  }));
})();

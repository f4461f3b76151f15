// Apollo Client with its persisted-queries link (automatic persisted queries, hashed queries
// over GET) runs a product page and a listing against Vitrine, then the product page again.
// Prints what it got and every HTTP request it made, as one JSON line.
import apollo from "@apollo/client/core/core.cjs";
import persisted from "@apollo/client/link/persisted-queries/persisted-queries.cjs";
import { createHash } from "node:crypto";

const { ApolloClient, InMemoryCache, HttpLink, gql } = apollo;
const { createPersistedQueryLink } = persisted;
const url = process.argv[2];
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const requests = [];
const recording = async (uri, options) => {
  const response = await fetch(uri, options);
  const u = new URL(String(uri));
  requests.push({
    method: options.method,
    query: u.searchParams.has("query") || (options.body ?? "").includes('"query"'),
    status: response.status,
  });
  return response;
};
const link = createPersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
  new HttpLink({ uri: url, fetch: recording }),
);
const client = new ApolloClient({ link, cache: new InMemoryCache() });
const PDP = gql`query Pdp($id: ID!) { product(id: $id) { id title variants { sku price { amount } } } }`;
const LISTING = gql`query Listing { products(first: 5, sortKey: PRICE) { totalCount edges { node { id } } } }`;
const page = await client.query({ query: PDP, variables: { id: "p000001" }, fetchPolicy: "no-cache" });
const listing = await client.query({ query: LISTING, fetchPolicy: "no-cache" });
const again = await client.query({ query: PDP, variables: { id: "p000002" }, fetchPolicy: "no-cache" });
console.log(JSON.stringify({
  product: page.data.product.id,
  variants: page.data.product.variants.length,
  total: listing.data.products.totalCount,
  again: again.data.product.id,
  requests,
}));

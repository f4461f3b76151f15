// Runs graphql-http's GraphQL-over-HTTP audit suite against URL and prints one JSON line per
// audit: {id, name, status, reason}. Usage: node audit.mjs URL
import { auditServer } from 'graphql-http';

const [url] = process.argv.slice(2);
const results = await auditServer({ url });
for (const r of results) {
  console.log(JSON.stringify({ id: r.id, name: r.name, status: r.status, reason: r.reason ?? null }));
}

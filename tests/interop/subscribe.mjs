// Subscribes with the reference `graphql-ws` client (graphql-transport-ws protocol) and prints
// each event as one JSON line. Usage: node subscribe.mjs WS_URL QUERY COUNT
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, query, count = '1'] = process.argv.slice(2);
const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
const wanted = Number(count);
let seen = 0;

client.on('connected', () => console.log(JSON.stringify({ connected: true })));

const done = (code) => {
  client.dispose();
  process.exit(code);
};

client.subscribe({ query }, {
  next: (value) => {
    console.log(JSON.stringify(value));
    if (++seen >= wanted) done(0);
  },
  error: (error) => {
    console.error(JSON.stringify({ error: String(error?.message ?? error) }));
    done(1);
  },
  complete: () => done(seen >= wanted ? 0 : 1),
});

setTimeout(() => {
  console.error(JSON.stringify({ error: 'timed out' }));
  done(2);
}, 30000);

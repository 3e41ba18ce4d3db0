// Subscribers for bench/fanout.py, in their own process: N graphql-ws clients on one hub.
//
//   node bench/subscribers.mjs URL KEY COUNT RATE QUERY
//
// Connects COUNT clients at RATE connections per second, each subscribing QUERY, and
// prints one JSON line per phase on stdout: {"ready": n, "refused": r} once all are
// connected; then, on stdin "report", {"received": {needKey: [epoch ms, ...]}, ...};
// on stdin "close", closes every client and prints {"closed": n}.
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import readline from "node:readline";

const [url, key, countText, rateText, query] = process.argv.slice(2);
const count = Number(countText);
const rate = Number(rateText);
const received = {};
const clients = [];
let refused = 0;

function subscribe(client) {
  return new Promise((resolve) => {
    let acknowledged = false;
    client.on("connected", () => { acknowledged = true; setTimeout(resolve, 0); });
    client.subscribe({ query }, {
      next: (result) => {
        const need = result.data?.matchFound?.need?.key;
        if (need) (received[need] ??= []).push(performance.timeOrigin + performance.now());
      },
      error: () => { if (!acknowledged) { refused += 1; resolve(); } },
      complete: () => {},
    });
  });
}

const pending = [];
for (let i = 0; i < count; i += 1) {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: false,
    keepAlive: 0,
  });
  client.on("error", () => {});
  clients.push(client);
  pending.push(subscribe(client));
  if (rate > 0 && i % 50 === 49) await new Promise((r) => setTimeout(r, (50 / rate) * 1000));
}
await Promise.all(pending);
console.log(JSON.stringify({ ready: count - refused, refused }));

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line === "report") {
    console.log(JSON.stringify({ received }));
  } else if (line === "close") {
    await Promise.all(clients.map((c) => c.dispose()));
    console.log(JSON.stringify({ closed: clients.length }));
    process.exit(0);
  }
}

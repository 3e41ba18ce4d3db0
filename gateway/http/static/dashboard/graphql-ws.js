// A small graphql-transport-ws client that keeps its subscriptions alive.
//
// It reconnects by itself after the socket drops, waiting longer each time (with
// jitter, so many dashboards do not return at once), and then subscribes again with
// the request its caller builds anew: a dashboard passes the last cursor it saw, so
// the hub replays what was missed. Pings from the client notice a silent network
// (a dead peer sends no close frame). Closes that retrying cannot mend (key refused
// or cut off, protocol errors) end it.

const PROTOCOL = "graphql-transport-ws";
const FATAL_CLOSES = new Map([
  [4400, "the hub refused a message"],
  [4401, "the hub asked for authentication"],
  [4403, "the key was refused or revoked"],
  [4413, "too many subscriptions on one connection"],
]);
const BACKOFF_MS = { first: 500, max: 15000 };
const ACK_TIMEOUT_MS = 10000;
const PING_EVERY_MS = 10000;
const PONG_TIMEOUT_MS = 5000;

export class LiveSocket {
  /**
   * @param {string} url ws: or wss: URL of the hub's /graphql
   * @param {object} init the connection_init payload, e.g. {Authorization: "Bearer …"}
   * @param {(state: string, detail?: object) => void} onState "connecting", "connected",
   *   "reconnecting" ({delayMs, attempt}), "closed" ({reason}: none when asked to close)
   */
  constructor(url, init, onState) {
    this.url = url;
    this.init = init;
    this.onState = onState;
    this.subscriptions = new Map();
    this.nextId = 1;
    this.attempt = 0;
    this.socket = null;
    this.timers = {};
    this.ended = false;
    this.retryNow = () => this.socket === null && !this.ended && this.open();
    window.addEventListener("online", this.retryNow);
    this.open();
  }

  /**
   * Runs `request()` ({query, variables}) now and after every reconnect; `sink` gets
   * next(data), error(errors) and complete(). Returns a function that stops it.
   */
  subscribe(request, sink) {
    const id = String(this.nextId++);
    this.subscriptions.set(id, { request, sink });
    if (this.acknowledged) this.start(id);
    return () => {
      if (this.subscriptions.delete(id) && this.acknowledged) this.send({ id, type: "complete" });
    };
  }

  close() {
    this.ended = true;
    window.removeEventListener("online", this.retryNow);
    this.drop();
    this.onState("closed", {});
  }

  open() {
    this.clearTimers();
    this.acknowledged = false;
    this.onState("connecting");
    const socket = new WebSocket(this.url, PROTOCOL);
    this.socket = socket;
    socket.onopen = () => {
      this.send({ type: "connection_init", payload: this.init });
      this.timers.ack = setTimeout(() => this.lost(), ACK_TIMEOUT_MS);
    };
    socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    socket.onclose = (event) => this.closed(event);
  }

  receive(message) {
    this.alive();
    const subscription = this.subscriptions.get(message.id);
    switch (message.type) {
      case "connection_ack":
        clearTimeout(this.timers.ack);
        this.acknowledged = true;
        this.attempt = 0;
        this.onState("connected");
        for (const id of this.subscriptions.keys()) this.start(id);
        break;
      case "ping":
        this.send({ type: "pong" });
        break;
      case "next":
        subscription?.sink.next(message.payload.data, message.payload.errors);
        break;
      case "error":
        this.subscriptions.delete(message.id);
        subscription?.sink.error(message.payload);
        break;
      case "complete":
        this.subscriptions.delete(message.id);
        subscription?.sink.complete();
        break;
    }
  }

  start(id) {
    this.send({ id, type: "subscribe", payload: this.subscriptions.get(id).request() });
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  // Every message proves the connection alive; a ping asks when nothing came for a while.
  alive() {
    clearTimeout(this.timers.pong);
    clearTimeout(this.timers.ping);
    this.timers.ping = setTimeout(() => {
      this.send({ type: "ping" });
      this.timers.pong = setTimeout(() => this.lost(), PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  closed(event) {
    this.socket = null;
    const fatal = FATAL_CLOSES.get(event.code);
    if (fatal) {
      this.ended = true;
      this.clearTimers();
      this.onState("closed", { reason: event.reason ? `${fatal}: ${event.reason}` : fatal });
    } else if (!this.ended) {
      this.reconnect();
    }
  }

  // A connection that stopped answering is given up without waiting for its close.
  lost() {
    this.drop();
    if (!this.ended) this.reconnect();
  }

  drop() {
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      socket.close(1000);
    }
  }

  reconnect() {
    this.clearTimers();
    this.acknowledged = false;
    const ceiling = Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** this.attempt);
    const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.attempt += 1;
    this.onState("reconnecting", { delayMs, attempt: this.attempt });
    this.timers.retry = setTimeout(() => this.open(), delayMs);
  }

  clearTimers() {
    for (const timer of Object.values(this.timers)) clearTimeout(timer);
    this.timers = {};
  }
}

// The SDK channel: one Socket.IO connection to /sdk that says `hello` first on every (re)connection, sends each
// message until it is answered (the same message, so the same idempotency key, after a dropped connection or a
// `server.busy` / `request.rate_limited` answer), and hands pushed messages over in order.

import { io } from "./vendor/socket.io.js";

const ACK_TIMEOUT_MS = 20000;
const MAX_ATTEMPTS = 8;
const RETRY_CODES = new Set(["server.busy", "request.rate_limited"]);
const AGAIN_AFTER_HELLO = "protocol.handshake_required"; // sent just as the connection dropped: hello, then again

function sleep(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

export class Channel {
  /**
   * `hello()` builds the hello message; `onWelcome(welcome)` runs before any other message is sent on the
   * connection; `onPush(message)` gets every pushed message; `onRefused(error)` a refused connection;
   * `trace(direction, message)` sees everything ("out", "in", "push").
   */
  constructor({ url, token, hello, onWelcome, onPush, onRefused, onState, trace }) {
    this.url = url;
    this.token = token;
    this.hello = hello;
    this.onWelcome = onWelcome;
    this.onPush = onPush;
    this.onRefused = onRefused;
    this.onState = onState;
    this.trace = trace;
    this.ready = false;
    this.waiters = [];
  }

  connect() {
    this.socket = io(`${this.url}/sdk`, { auth: { token: this.token }, reconnectionDelayMax: 5000 });
    this.socket.on("connect", () => this.greet());
    this.socket.on("message", (message) => {
      this.trace("push", message);
      this.onPush(message);
    });
    this.socket.on("disconnect", () => {
      this.ready = false;
      this.onState("reconnecting");
    });
    this.socket.on("connect_error", (error) => {
      if (error && error.data && error.data.code) {
        this.onRefused(error.data);
      } else {
        this.onState("reconnecting");
      }
    });
  }

  /** Use another token (the integrator issued a new one) and connect again. */
  reconnectWith(token) {
    this.token = token;
    this.socket.auth = { token };
    this.socket.disconnect().connect();
  }

  async greet() {
    const hello = this.hello();
    this.trace("out", hello);
    let welcome;
    try {
      welcome = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("message", hello);
    } catch {
      this.socket.disconnect().connect(); // no answer to hello: start the handshake again
      return;
    }
    this.trace("in", welcome);
    if (welcome.type !== "welcome") {
      this.onRefused(welcome);
      return;
    }
    await this.onWelcome(welcome);
    this.ready = true;
    this.onState("connected");
    for (const wake of this.waiters.splice(0)) wake();
  }

  untilReady() {
    return this.ready ? Promise.resolve() : new Promise((resolve) => { this.waiters.push(resolve); });
  }

  /** Send `message` and resolve its answer; the very same message is sent again until one comes. */
  async request(message) {
    for (let attempt = 1; ; attempt += 1) {
      await this.untilReady();
      let reply;
      try {
        this.trace("out", message);
        // volatile: never buffered while disconnected (it would reach the next connection before its hello)
        reply = await this.socket.volatile.timeout(ACK_TIMEOUT_MS).emitWithAck("message", message);
      } catch {
        if (attempt >= MAX_ATTEMPTS) throw new Error("The server did not answer");
        continue; // dropped or timed out: after the next hello, send it again with the same key
      }
      this.trace("in", reply);
      if (reply.type === "error" && reply.code === AGAIN_AFTER_HELLO && attempt < MAX_ATTEMPTS) {
        await sleep(250);
        continue;
      }
      if (reply.type === "error" && RETRY_CODES.has(reply.code) && attempt < MAX_ATTEMPTS) {
        await sleep(1000 * Math.min(Number(reply.details?.retry_after) || 1, 30));
        continue;
      }
      return reply;
    }
  }

  close() {
    this.socket?.disconnect();
  }
}

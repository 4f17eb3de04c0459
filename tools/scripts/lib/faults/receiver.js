'use strict';
/**
 * The webhook receiver of `npm run test:faults`: a plain HTTP server on 127.0.0.1 that can be up
 * (200), slow (answers after a delay, so deliveries are in flight), failing (503) or down (closed:
 * connections refused). It keeps every request's webhook-id and what it answered.
 */
const http = require('node:http');

class Receiver {
  constructor(port) {
    this.port = port;
    this.mode = 'up';
    this.server = null;
    this.requests = []; // {id, at, status}
    this.open = new Map(); // response -> webhook-id of a request not answered yet
  }

  get url() {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async listen() {
    if (this.server) return;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const id = String(req.headers['webhook-id'] ?? '');
        const entry = { id, at: Date.now(), status: null };
        this.requests.push(entry);
        const reply = (status) => {
          if (res.destroyed) return;
          entry.status = status;
          res.writeHead(status, { 'content-type': 'text/plain' });
          res.end(status === 200 ? 'ok' : 'unavailable');
        };
        if (this.mode === 'failing') return reply(503);
        if (this.mode === 'slow') {
          this.open.set(res, id);
          const timer = setTimeout(() => {
            this.open.delete(res);
            reply(200);
          }, 1500);
          res.on('close', () => clearTimeout(timer));
          return;
        }
        reply(200);
      });
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  /** Down: stops listening and drops every open connection (in-flight requests get no answer). */
  async close() {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const res of this.open.keys()) res.destroy();
    this.open.clear();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve()));
  }

  setMode(mode) {
    this.mode = mode;
  }

  /** webhook-ids of requests received and not answered yet. */
  inFlight() {
    return [...this.open.values()];
  }

  /** webhook-ids answered 2xx, with how many times each. */
  acknowledged() {
    const counts = new Map();
    for (const r of this.requests) if (r.status === 200) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    return counts;
  }
}

module.exports = { Receiver };

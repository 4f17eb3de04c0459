'use strict';
const net = require('node:net');

/** A TCP port on 127.0.0.1 that nobody listens on right now. */
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** True when something accepts connections on host:port. */
const isListening = (port, host = '127.0.0.1', timeoutMs = 500) =>
  new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { freePort, isListening, sleep };

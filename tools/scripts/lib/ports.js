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

const canBind = (port) =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A free port on 127.0.0.1 below `limit` (from 20000 up, at random), for what cannot hold a larger number. */
const freePortBelow = async (limit) => {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * (limit - 20000));
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port between 20000 and ${limit} after 200 tries`);
};

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

module.exports = { freePort, freePortBelow, isListening, sleep };

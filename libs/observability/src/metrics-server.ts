import { createServer, type Server } from 'node:http';

/** What a scrape returns: a prom-client Registry fits, and so does anything that merges several. */
export type MetricsSource = { readonly contentType: string; metrics: () => Promise<string> };

/**
 * Serves `GET /metrics` on a port of its own (loopback by default), apart from the API: no token for
 * the scraper to hold, nothing of it reachable from where clients call the API. Never what keeps a
 * process alive (unref'd): it ends with the process it reports on.
 */
export const startMetricsServer = (source: MetricsSource, port: number, host: string): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
        return;
      }
      source.metrics().then(
        (text) => res.writeHead(200, { 'content-type': source.contentType }).end(text),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
      );
    });
    server.once('error', reject);
    server.listen(port, host, () => {
      server.unref();
      resolve(server);
    });
  });

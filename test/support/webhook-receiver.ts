import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceivedWebhook = { path: string; headers: http.IncomingHttpHeaders; body: string; at: number };

/** What the receiver answers on a path: a status (and headers), or nothing at all (a hung endpoint). */
export type Behaviour = (count: number) => { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

/**
 * A real HTTP receiver on a loopback address for webhook tests: each path has a behaviour keyed on
 * how many requests that path has had, and every request is kept for the test to verify.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private server: http.Server | null = null;
  private readonly hung = new Set<http.ServerResponse>();

  constructor(readonly host = '127.0.0.2') {}

  on(path: string, behaviour: Behaviour): this {
    this.behaviours.set(path, behaviour);
    return this;
  }

  async listen(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        const count = this.received.filter((r) => r.path === path).length + 1;
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        const answer = (this.behaviours.get(path) ?? ((): ReturnType<Behaviour> => ({ status: 200 })))(count);
        if (answer === 'hang') {
          this.hung.add(res);
          return;
        }
        const reply = () => {
          if (res.destroyed) return;
          res.writeHead(answer.status, answer.headers ?? {});
          res.end(answer.body ?? 'ok');
        };
        if (answer.delayMs) setTimeout(reply, answer.delayMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, this.host, resolve));
    return `http://${this.host}:${(this.server.address() as AddressInfo).port}`;
  }

  requests(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }
}

/** Polls `check` every 200 ms until it returns a value (or `timeoutMs` passes, then throws `what`). */
export const waitFor = async <T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

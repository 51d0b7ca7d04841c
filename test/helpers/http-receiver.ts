/**
 * A real HTTP receiver on 127.0.0.1 (a random free port) for notifier tests: it records every request and answers
 * with whatever `answer` says at that moment, so a test can switch the status or body (e.g. echo a secret) between sends.
 *
 *   const hook = await startReceiver({ status: 202, body: '{"status":"success"}' });
 *   await channel.send(msg, { url: hook.url('/hook') }, client);
 *   assert.equal(hook.received[0]?.method, 'POST');
 *   await hook.close();
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver got it. */
export interface Received {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw body, decoded as UTF-8 ('' when there was none). */
  body: string;
  /** The body parsed as JSON; null when it is empty or not JSON. */
  json: any;
  /** When the request was complete (epoch ms). */
  at: number;
}

/** How the receiver answers; read afresh for every request. */
export interface Answer {
  status: number;
  /** The response body, or a function of the status that gives it. */
  body: string | ((status: number) => string);
  headers: OutgoingHttpHeaders;
  /** Never answer: the request hangs until the client gives up (a timeout) or the receiver closes. */
  silent: boolean;
}

export interface Receiver {
  /** `http://127.0.0.1:<port>` followed by `path`. */
  url: (path?: string) => string;
  /** Every request so far, oldest first. The array is kept (emptied in place by `reset`), so holding on to it is safe. */
  readonly received: Received[];
  /** The answer for the next requests; change its fields to change it. */
  readonly answer: Answer;
  /** Forgets what was received and answers as `startReceiver` was told, with `overrides` on top. */
  reset: (overrides?: Partial<Answer>) => void;
  /** Drops open connections and stops listening. */
  close: () => Promise<void>;
}

/** Starts a receiver; by default it answers 200 with an empty body and no extra headers. */
export async function startReceiver(options: Partial<Answer> = {}): Promise<Receiver> {
  const defaults: Answer = { status: 200, body: '', headers: {}, silent: false, ...options };
  const received: Received[] = [];
  const answer: Answer = { ...defaults, headers: { ...defaults.headers } };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json: parseJson(body), at: Date.now() });
      if (answer.silent) return;
      res.writeHead(answer.status, answer.headers).end(typeof answer.body === 'function' ? answer.body(answer.status) : answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (path = '') => `${base}${path}`,
    received,
    answer,
    reset: (overrides = {}) => {
      received.length = 0;
      Object.assign(answer, defaults, { headers: { ...defaults.headers } }, overrides);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseJson(text: string): any {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

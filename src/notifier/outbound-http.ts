/**
 * The one HTTP client the notifier uses to reach user-configured URLs. Because those URLs come from API users,
 * every request is treated as a possible SSRF attempt: only http(s), every resolved address vetted (unless
 * OVERDUE_ALLOW_PRIVATE_TARGETS=true), the socket pinned to the vetted addresses, a total deadline, a capped
 * response, few redirects and each hop vetted again. HTTP error statuses are returned, not thrown.
 */
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

export interface OutboundRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** UTF-8, at most `maxResponseBytes` bytes of the body. */
  body: string;
  /** True when the body was longer than `maxResponseBytes` (the rest was not read). */
  truncated: boolean;
}

export interface OutboundOptions {
  /** Total deadline per request, DNS + connect + redirects + body. Default 10 000. */
  timeoutMs?: number;
  /** Default 64 KiB. */
  maxResponseBytes?: number;
  /** Default 3. GET/HEAD follow 301/302/303/307/308; other methods only 307/308 (method and body kept). */
  maxRedirects?: number;
  /** Allow loopback/private/link-local targets (OVERDUE_ALLOW_PRIVATE_TARGETS). Default false. */
  allowPrivate?: boolean;
  /** Appended to the User-Agent: `Overdue-Notifier/<version>`. */
  version?: string;
}

export type OutboundErrorCode = 'blocked_address' | 'timeout' | 'invalid_url' | 'network' | 'too_many_redirects';

/** A transport failure. Messages name the URL only through redactUrl, so they are safe to log and store. */
export class OutboundError extends Error {
  readonly code: OutboundErrorCode;
  constructor(code: OutboundErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutboundError';
    this.code = code;
  }
}

/**
 * A URL fit for logs and API answers: userinfo and query replaced by "…", fragment dropped, and path segments of
 * 16+ characters cut to their last 4, because webhook URLs (Slack, Discord, …) often carry their token in the path.
 */
export function redactUrl(raw: string | URL): string {
  let url: URL;
  try {
    url = typeof raw === 'string' ? new URL(raw) : raw;
  } catch {
    return '(invalid URL)';
  }
  const userinfo = url.username !== '' || url.password !== '' ? '…@' : '';
  const path = url.pathname
    .split('/')
    .map((segment) => (segment.length >= 16 ? `…${segment.slice(-4)}` : segment))
    .join('/');
  return `${url.protocol}//${userinfo}${url.host}${path}${url.search !== '' ? '?…' : ''}`;
}

// IPv4 ranges no notification may reach: [network, prefix length, why].
const BLOCKED_V4_TEXT: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.168.0.0', 16, 'private'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function parseV4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

const BLOCKED_V4 = BLOCKED_V4_TEXT.map(([network, prefix, why]) => ({ block: 2 ** (32 - prefix), start: parseV4(network) ?? 0, why }));

function blockedV4(ip: number): string | null {
  // Plain arithmetic rather than bit operators, which would turn addresses ≥ 128.0.0.0 negative.
  const hit = BLOCKED_V4.find(({ block, start }) => Math.floor(ip / block) === start / block);
  return hit ? hit.why : null;
}

/** Eight 16-bit groups, or null. Accepts `::`, an embedded dotted IPv4 tail and a `%zone` suffix. */
function parseV6(text: string): number[] | null {
  let s = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = parseV4(dotted[2] ?? '');
    if (v4 === null) return null;
    s = `${dotted[1]}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string | undefined) => (part ? part.split(':') : []);
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

function blockedV6(g: number[]): string | null {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = (hi: number, lo: number, form: string) => {
    const why = blockedV4(hi * 65536 + lo);
    return why === null ? null : `${form} ${why}`;
  };
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    if (g5 === 0 && g6 === 0 && g7 === 0) return 'unspecified';
    if (g5 === 0 && g6 === 0 && g7 === 1) return 'loopback';
    if (g5 === 0xffff) return embedded(g6, g7, 'IPv4-mapped');
    if (g5 === 0) return embedded(g6, g7, 'IPv4-compatible');
  }
  // NAT64 and 6to4 prefixes carry an IPv4 address that a gateway may forward to.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded(g6, g7, 'NAT64');
  if (g0 === 0x2002) return embedded(g1, g2, '6to4');
  if ((g0 & 0xfe00) === 0xfc00) return 'private (unique local)';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private (site-local)';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  return null;
}

/** Why `address` (an IP literal) may not be a notification target, or null when it is a public address. */
export function blockedReason(address: string): string | null {
  const v4 = parseV4(address);
  if (v4 !== null) return blockedV4(v4);
  const v6 = parseV6(address);
  return v6 === null ? 'not an IP address' : blockedV6(v6);
}

function parseTarget(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new OutboundError('invalid_url', 'not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError('invalid_url', `only http: and https: URLs are allowed, not ${url.protocol}`);
  }
  if (url.hostname === '') throw new OutboundError('invalid_url', 'URL has no host');
  return url;
}

/** `promise`, or a timeout error as soon as `signal` aborts (DNS lookups cannot be cancelled, only abandoned). */
function untilAbort<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = () => reject(new OutboundError('timeout', `${what} timed out`));
    if (signal.aborted) return fail();
    signal.addEventListener('abort', fail, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', fail));
  });
}

function credentials(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  try {
    return `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    throw new OutboundError('invalid_url', `malformed credentials in ${redactUrl(url)}`);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// The client computes these itself; a caller's copy could desynchronize framing.
const COMPUTED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);
// Dropped when a redirect leaves the origin, as browsers do, so a redirect cannot forward credentials.
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

interface Hop {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export class OutboundHttp {
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #maxRedirects: number;
  readonly #allowPrivate: boolean;
  readonly #userAgent: string;

  constructor(options: OutboundOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
    this.#maxRedirects = options.maxRedirects ?? 3;
    this.#allowPrivate = options.allowPrivate ?? false;
    this.#userAgent = options.version ? `Overdue-Notifier/${options.version}` : 'Overdue-Notifier';
  }

  /** Resolves with any HTTP status; rejects only with OutboundError (transport, policy, deadline). */
  async request(req: OutboundRequest): Promise<OutboundResponse> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      const headers: Record<string, string> = { 'User-Agent': this.#userAgent };
      for (const [name, value] of Object.entries(req.headers ?? {})) {
        const lower = name.toLowerCase();
        if (COMPUTED_HEADERS.has(lower)) continue;
        if (lower === 'user-agent') delete headers['User-Agent'];
        headers[name] = value;
      }
      const body = req.body === undefined ? undefined : Buffer.from(req.body);
      let hop: Hop = { method: req.method.toUpperCase(), url: parseTarget(req.url), headers, body };
      for (let redirects = 0; ; redirects++) {
        const response = await this.#send(hop, controller.signal);
        const location = response.headers.location;
        const follow =
          REDIRECTS.has(response.status) &&
          typeof location === 'string' &&
          (hop.method === 'GET' || hop.method === 'HEAD' || response.status === 307 || response.status === 308);
        if (!follow) return response;
        if (redirects >= this.#maxRedirects) {
          throw new OutboundError('too_many_redirects', `more than ${this.#maxRedirects} redirects from ${redactUrl(req.url)}`);
        }
        const next = parseTarget(location, hop.url);
        const sameOrigin = next.origin === hop.url.origin;
        const nextHeaders = Object.fromEntries(Object.entries(hop.headers).filter(([n]) => sameOrigin || !CREDENTIAL_HEADERS.has(n.toLowerCase())));
        hop = { ...hop, url: next, headers: nextHeaders };
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The vetted addresses of the hop's host; the socket may connect to these and nothing else. */
  async #resolve(url: URL, signal: AbortSignal): Promise<LookupAddress[]> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const family = isIP(host);
    let addresses: LookupAddress[];
    if (family !== 0) addresses = [{ address: host, family }];
    else {
      try {
        addresses = await untilAbort(dnsLookup(host, { all: true, verbatim: true }), signal, `resolving the host of ${redactUrl(url)}`);
      } catch (err) {
        if (err instanceof OutboundError) throw err;
        throw new OutboundError('network', `cannot resolve the host of ${redactUrl(url)}`, { cause: err });
      }
      if (addresses.length === 0) throw new OutboundError('network', `no address for the host of ${redactUrl(url)}`);
    }
    if (!this.#allowPrivate) {
      // Any one bad address refuses the host: the connection could otherwise land on it.
      for (const { address } of addresses) {
        const why = blockedReason(address);
        if (why !== null) {
          throw new OutboundError('blocked_address', `${redactUrl(url)} resolves to a ${why} address; set OVERDUE_ALLOW_PRIVATE_TARGETS=true to allow such targets`);
        }
      }
    }
    return addresses;
  }

  async #send(hop: Hop, signal: AbortSignal): Promise<OutboundResponse> {
    const addresses = await this.#resolve(hop.url, signal);
    const first = addresses[0] as LookupAddress;
    // Answers the socket's own lookup with the addresses vetted above, so a DNS answer that changes between the
    // check and the connect (rebinding) is never used.
    const lookup: LookupFunction = (_host, options, callback) => {
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    };
    const { url } = hop;
    const auth = credentials(url);
    const maxBytes = this.#maxResponseBytes;
    return new Promise<OutboundResponse>((resolve, reject) => {
      let response: http.IncomingMessage | undefined;
      const onAbort = () => {
        reject(new OutboundError('timeout', `no complete answer from ${redactUrl(url)} within ${this.#timeoutMs} ms`));
        request.destroy();
        response?.destroy();
      };
      const headers: Record<string, string> = { ...hop.headers };
      if (hop.body !== undefined) headers['Content-Length'] = String(hop.body.length);
      const request = (url.protocol === 'https:' ? https : http).request({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: hop.method,
        headers,
        // Credentials in the URL are honoured but only ever leave as this header, never in a message.
        auth,
        lookup,
        // No pooling: a pooled socket is keyed by host name, not by the address vetted for this request.
        agent: false,
      });
      const settle = () => signal.removeEventListener('abort', onAbort);
      request.on('error', (err) => {
        settle();
        reject(new OutboundError('network', `request to ${redactUrl(url)} failed: ${err.message}`, { cause: err }));
      });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      request.on('response', (res) => {
        response = res;
        const chunks: Buffer[] = [];
        let size = 0;
        let done = false;
        const finish = (truncated: boolean) => {
          if (done) return;
          done = true;
          settle();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), truncated });
        };
        res.on('data', (chunk: Buffer) => {
          if (done) return;
          const room = maxBytes - size;
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, room));
            // The rest is not drained: the socket is never reused, and an endless body would only burn the deadline.
            finish(true);
            res.destroy();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => finish(false));
        res.on('error', () => undefined);
        res.on('close', () => {
          if (done) return;
          settle();
          reject(new OutboundError('network', `connection to ${redactUrl(url)} closed before the answer ended`));
        });
      });
      request.end(hop.body);
    });
  }
}

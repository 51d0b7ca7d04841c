/**
 * The CLI's view of the REST API: one `request` over Node's fetch, with a timeout, that turns the
 * server's `{ "error": { "code", "message" } }` into a CliError (exit 1) and a server it cannot reach
 * into a CliError (exit 3) naming the URL.
 */
import type { Command } from 'commander';
import { VERSION } from '../runtime/version.js';
import { CliError, EXIT } from './output.js';

export const DEFAULT_URL = 'http://localhost:8080';
const DEFAULT_TIMEOUT_MS = 10_000;

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as text/plain (ping bodies). */
  body?: string | Buffer;
  /** Send the API key (default true; ping URLs authenticate by their token). */
  auth?: boolean;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;

  /** @throws CliError (usage) when `baseUrl` is not an http(s) URL. */
  constructor(options: { baseUrl: string; apiKey?: string; timeoutMs?: number }) {
    this.baseUrl = checkedBaseUrl(options.baseUrl);
    this.apiKey = options.apiKey || undefined;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The parsed JSON answer, or null for 204. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const auth = options.auth ?? true;
    if (auth && !this.apiKey) {
      throw new CliError('no API key: set OVERDUE_API_KEY or pass --api-key (an admin can create one with `overdue keys create`)', EXIT.usage);
    }
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': `overdue-cli/${VERSION}` };
    if (auth) headers.authorization = `Bearer ${this.apiKey}`;
    let body: string | Buffer | undefined;
    // Only with a body: the server rejects an empty body that claims to be JSON.
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers['content-type'] = 'text/plain; charset=utf-8';
      body = options.body;
    }

    const url = this.baseUrl + path + queryString(options.query);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      text = await response.text();
    } catch (err) {
      throw this.unreachable(err);
    }
    return parseAnswer<T>(response, text, url);
  }

  private unreachable(err: unknown): CliError {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return new CliError(`no answer from ${this.baseUrl} within ${this.timeoutMs / 1000} s`, EXIT.unreachable);
    }
    const why = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
    return new CliError(`cannot reach the server at ${this.baseUrl} (${why}); check --url or OVERDUE_URL`, EXIT.unreachable);
  }
}

/** A client from a command's `--url`/`--api-key` (or OVERDUE_URL/OVERDUE_API_KEY). */
export function clientFor(command: Command): ApiClient {
  const opts = command.optsWithGlobals<{ url?: string; apiKey?: string }>();
  return new ApiClient({
    baseUrl: opts.url ?? (process.env.OVERDUE_URL || DEFAULT_URL),
    apiKey: opts.apiKey ?? process.env.OVERDUE_API_KEY,
  });
}

function checkedBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--url: "${raw}" is not a URL (expected e.g. ${DEFAULT_URL})`, EXIT.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`--url: "${raw}" must start with http:// or https://`, EXIT.usage);
  }
  // Kept as text, not resolved with `new URL(path, base)`, so a base behind a path prefix keeps its prefix.
  return raw.replace(/\/+$/, '');
}

function queryString(query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function parseAnswer<T>(response: Response, text: string, url: string): T {
  if (response.status === 204 || (response.ok && text === '')) return null as T;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`unexpected answer from ${url} (HTTP ${response.status}, not JSON); is --url an Overdue server?`);
  }
  if (response.ok) return parsed as T;
  const error = (parsed as { error?: { message?: unknown } } | null)?.error;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${response.status} from ${url}`;
  throw new CliError(message);
}

/**
 * The one typed configuration: environment variables (and CLI flags mapped onto them), validated against a
 * schema, defaulted, and frozen. Unknown or malformed values fail start-up with a message naming the variable.
 */
import Type, { type Static } from 'typebox';
import { Value } from 'typebox/value';
import { AppError } from '../domain/errors.js';

export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'HTTP port' }),
  HOST: Type.String({ default: '0.0.0.0', description: 'Interface to listen on' }),
  DATABASE_URL: Type.String({
    default: 'sqlite://./data/overdue.db',
    description: 'sqlite://<path> (relative to the working directory), sqlite:///<absolute path>, or postgres://user:pass@host:port/db for several nodes',
  }),
  OVERDUE_ROLES: Type.String({
    default: 'all',
    description: 'What this node runs, comma-separated: api (HTTP API, ping receiver, email pings), scheduler (deadlines, pruning), notifier (alert delivery), or all',
  }),
  OVERDUE_BASE_URL: Type.Optional(Type.String({ description: 'Public base URL that ping URLs are built from; default http://localhost:<bound port>' })),
  OVERDUE_BOOTSTRAP_API_KEY: Type.Optional(Type.String({ minLength: 20, description: 'Admin API key created on first start instead of a random one' })),
  OVERDUE_SQLITE_SYNC: Type.Enum(['full', 'normal'], {
    default: 'full',
    description: 'full: an acknowledged ping survives power loss; normal: it survives a process crash only',
  }),
  OVERDUE_PING_RETENTION: Type.Integer({ minimum: 10, maximum: 1_000_000, default: 1000, description: 'Pings kept per monitor (older ones are pruned in the background)' }),
  OVERDUE_TRUST_PROXY: Type.String({
    default: 'false',
    description: 'Which proxies may set X-Forwarded-For (the IP recorded with pings): "false", "true" (any), or a comma-separated list of addresses/CIDRs',
  }),
  OVERDUE_ALLOW_PRIVATE_TARGETS: Type.Boolean({
    default: false,
    description: 'Let channels send to loopback, private and link-local addresses (refused by default: a channel URL must not reach internal services)',
  }),
  SMTP_URL: Type.Optional(Type.String({ description: 'Outgoing mail server for email channels, e.g. smtp://user:pass@mail.example.com:587 or smtps://…:465' })),
  SMTP_FROM: Type.Optional(Type.String({ description: 'Sender of alert emails, e.g. "Overdue <overdue@example.com>"' })),
  SMTP_LISTEN: Type.Optional(
    Type.String({ description: 'host:port for the built-in SMTP listener that receives email pings, e.g. 0.0.0.0:2525 or [::1]:25; unset: no listener' }),
  ),
  OVERDUE_CRONITOR_PREFIX: Type.String({
    default: '/cronitor',
    description: 'Path under which every Cronitor-compatible URL (pings and /api/monitors) is served; Cronitor clients replace https://cronitor.link and https://cronitor.io with <base URL><prefix>',
  }),
  OVERDUE_CRONITOR_AUTO_CREATE: Type.Boolean({
    default: true,
    description: 'A Cronitor telemetry ping (/p/… or /ping/…) for a monitor key the project does not have creates that monitor, as Cronitor does',
  }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', description: 'pino log level' }),
});

export type Config = Readonly<Static<typeof ConfigSchema>>;

const KEYS = Object.keys(ConfigSchema.properties) as (keyof Static<typeof ConfigSchema>)[];

export function loadConfig(env: Record<string, string | undefined>): Config {
  const raw: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const converted = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw)) as Record<string, unknown>;
  if (!Value.Check(ConfigSchema, converted)) {
    const first = [...Value.Errors(ConfigSchema, converted)][0];
    const name = first?.instancePath.replace(/^\//, '') || 'configuration';
    throw new AppError('validation_error', `${name}: ${first?.message ?? 'invalid'} (got ${JSON.stringify(raw[name])})`, name);
  }
  const config = converted as Static<typeof ConfigSchema>;
  if (config.OVERDUE_BASE_URL !== undefined) config.OVERDUE_BASE_URL = config.OVERDUE_BASE_URL.replace(/\/+$/, '');
  if (config.SMTP_LISTEN !== undefined) parseListen('SMTP_LISTEN', config.SMTP_LISTEN);
  parseRoles('OVERDUE_ROLES', config.OVERDUE_ROLES);
  config.OVERDUE_CRONITOR_PREFIX = cronitorPrefix(config.OVERDUE_CRONITOR_PREFIX);
  return Object.freeze(config);
}

/** First path segments that other routes own: a Cronitor prefix there would shadow them or be shadowed. */
const RESERVED_SEGMENTS = ['v1', 'ping', 'api', 'docs', 'healthz', 'readyz', 'metrics'];

/** The prefix with one leading slash and none trailing: `/cronitor`, `/compat/cronitor`. */
function cronitorPrefix(value: string): string {
  const prefix = `/${value.trim().replace(/^\/+|\/+$/g, '')}`;
  const first = prefix.split('/')[1] ?? '';
  if (prefix === '/' || !/^(?:\/[A-Za-z0-9._~-]+)+$/.test(prefix) || RESERVED_SEGMENTS.includes(first)) {
    throw new AppError(
      'validation_error',
      `OVERDUE_CRONITOR_PREFIX: expected a path such as /cronitor (letters, digits, ".", "_", "~", "-" between slashes; not / and not under /${RESERVED_SEGMENTS.join(', /')}) (got ${JSON.stringify(value)})`,
      'OVERDUE_CRONITOR_PREFIX',
    );
  }
  return prefix;
}

/** What the Cronitor-compatible routes need from the configuration. */
export function cronitorOptionsOf(config: Config): { prefix: string; autoCreate: boolean } {
  return { prefix: config.OVERDUE_CRONITOR_PREFIX, autoCreate: config.OVERDUE_CRONITOR_AUTO_CREATE };
}

export const ROLES = ['api', 'scheduler', 'notifier'] as const;
export type Role = (typeof ROLES)[number];

/** The roles this node runs (OVERDUE_ROLES, or --role), in their canonical order. */
export function rolesOf(config: Config): readonly Role[] {
  return parseRoles('OVERDUE_ROLES', config.OVERDUE_ROLES);
}

/** `all`, or a comma-separated list of roles (`all` may be mixed in and means all of them). */
function parseRoles(name: string, value: string): readonly Role[] {
  const names = value.split(',').map((s) => s.trim().toLowerCase());
  const unknown = names.find((n) => n !== 'all' && !(ROLES as readonly string[]).includes(n));
  if (unknown !== undefined) {
    throw new AppError('validation_error', `${name}: expected "all" or a comma-separated list of ${ROLES.join(', ')} (got ${JSON.stringify(value)})`, name);
  }
  return names.includes('all') ? ROLES : ROLES.filter((r) => names.includes(r));
}

/** SMTP_LISTEN as a host and port, or null when no SMTP listener is configured. */
export function smtpListenOf(config: Config): { host: string; port: number } | null {
  return config.SMTP_LISTEN === undefined ? null : parseListen('SMTP_LISTEN', config.SMTP_LISTEN);
}

/** `host:port`, `[ipv6]:port`, port 0–65535 (0 picks a free one). */
function parseListen(name: string, value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new AppError('validation_error', `${name}: expected host:port such as 0.0.0.0:2525 or [::1]:2525 (got ${JSON.stringify(value)})`, name);
  }
  return { host: (m[1] ?? m[2]) as string, port };
}

/** OVERDUE_TRUST_PROXY in the form Fastify's `trustProxy` takes. */
export function trustProxyOf(config: Config): boolean | string[] {
  const v = config.OVERDUE_TRUST_PROXY.trim();
  if (v === 'false' || v === '') return false;
  if (v === 'true') return true;
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

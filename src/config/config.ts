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
    description: 'sqlite://<path> (relative to the working directory) or sqlite:///<absolute path>',
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
  return Object.freeze(config);
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

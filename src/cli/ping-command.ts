/** `overdue ping TOKEN [start|fail|log|ok|<exit code>]`: what a job's wrapper script calls. */
import type { Command } from 'commander';
import { clientFor } from './api-client.js';
import { addClientOptions, wantsJson } from './options.js';
import { printJson, printLine } from './output.js';

interface PingReply {
  ok: boolean;
  state?: string;
  message?: string;
}

export function registerPingCommand(program: Command): void {
  // The token is the credential here, so no --api-key.
  addClientOptions(program.command('ping').description("record a ping on a monitor's ping URL and print its state"), { apiKey: false })
    .argument('<token>', 'the monitor\'s ping token (the last part of its ping_url)')
    .argument('[action]', 'start, fail, log, or the job\'s exit code (0 = success); default success')
    .option('--msg <text>', 'a short message stored with the ping')
    .option('--body <text>', 'a body (e.g. log output) stored with the ping; "-" reads it from stdin')
    .action(async (token: string, action: string | undefined, opts: { msg?: string; body?: string }, command: Command) => {
      const path = `/v1/ping/${encodeURIComponent(token)}${action === undefined ? '' : `/${encodeURIComponent(action)}`}`;
      const body = opts.body === '-' ? await readStdin() : opts.body;
      const reply = await clientFor(command).request<PingReply>(body === undefined ? 'GET' : 'POST', path, {
        auth: false,
        query: { msg: opts.msg },
        body,
      });
      if (wantsJson(command)) return printJson(reply);
      printLine(reply.message ? `${reply.state ?? 'ok'} (${reply.message})` : (reply.state ?? 'ok'));
    });
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

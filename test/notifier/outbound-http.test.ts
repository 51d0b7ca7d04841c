import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { OutboundError, OutboundHttp, blockedReason, redactUrl } from '../../src/notifier/outbound-http.js';

interface Receiver {
  url: string;
  hits: number;
  connections: number;
  close: () => Promise<void>;
}

/** A real HTTP server on 127.0.0.1 that counts connections and requests. */
async function receiver(handler: http.RequestListener): Promise<Receiver> {
  const server = http.createServer((req, res) => {
    state.hits++;
    handler(req, res);
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const state: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: 0,
    connections: 0,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}

async function rejectsWith(promise: Promise<unknown>, code: OutboundError['code']): Promise<OutboundError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OutboundError, `expected OutboundError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected OutboundError ${code}`);
}

describe('blockedReason', () => {
  const blocked = [
    '127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '100.127.255.255', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'fe80::1%eth0',
    'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::127.0.0.1', '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::1', '0:0:0:0:0:ffff:c0a8:0101',
  ];
  for (const address of blocked) {
    it(`refuses ${address}`, () => assert.notEqual(blockedReason(address), null));
  }

  const allowed = ['1.1.1.1', '8.8.8.8', '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '169.253.255.255', '192.169.0.1', '223.255.255.255', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:808:808::1'];
  for (const address of allowed) {
    it(`allows the public address ${address}`, () => assert.equal(blockedReason(address), null));
  }

  it('names the kind of address it refuses', () => {
    assert.equal(blockedReason('169.254.169.254'), 'link-local');
    assert.equal(blockedReason('::ffff:127.0.0.1'), 'IPv4-mapped loopback');
    assert.equal(blockedReason('100.64.0.1'), 'shared (CGNAT)');
  });

  it('treats anything that is not an IP literal as not allowed', () => {
    for (const text of ['example.com', '1.2.3', '1.2.3.256', '::g', '1::2::3', '1:2:3:4:5:6:7:8:9']) assert.equal(blockedReason(text), 'not an IP address', text);
  });
});

describe('redactUrl', () => {
  it('hides userinfo, the query and long path segments but keeps the host and short path', () => {
    assert.equal(redactUrl('https://user:pw@hooks.example.com/services/T0123/abcdefghijklmnopqrstWXYZ?token=1#x'), 'https://…@hooks.example.com/services/T0123/…WXYZ?…');
    assert.equal(redactUrl('http://example.com:8080/hook'), 'http://example.com:8080/hook');
    assert.equal(redactUrl('nonsense'), '(invalid URL)');
  });
});

describe('the default policy refuses private targets before connecting', () => {
  const client = new OutboundHttp({ timeoutMs: 2000 });
  const original = net.Socket.prototype.connect;
  let connects = 0;
  let local: Receiver;

  before(async () => {
    local = await receiver((_req, res) => res.end('reached'));
    // Never connect from here: a regression must fail the test, not send traffic to a real private network.
    net.Socket.prototype.connect = function (this: net.Socket) {
      connects++;
      process.nextTick(() => this.destroy(new Error('test: a connection was attempted')));
      return this;
    } as typeof original;
  });
  after(async () => {
    net.Socket.prototype.connect = original;
    await local.close();
  });

  const port = () => new URL(local.url).port;
  const targets: Array<[string, () => string]> = [
    ['127.0.0.1', () => `http://127.0.0.1:${port()}/hook`],
    ['localhost', () => `http://localhost:${port()}/hook`],
    ['::1', () => `http://[::1]:${port()}/hook`],
    ['10.0.0.1', () => 'http://10.0.0.1/hook'],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
    ['an IPv4-mapped loopback', () => 'http://[::ffff:127.0.0.1]/'],
    ['0.0.0.0', () => 'http://0.0.0.0/'],
    ['a decimal-encoded loopback', () => 'http://2130706433/'],
    ['https to loopback', () => `https://127.0.0.1:${port()}/`],
  ];
  for (const [name, url] of targets) {
    it(`refuses ${name} with blocked_address`, async () => {
      const err = await rejectsWith(client.request({ method: 'POST', url: url(), body: '{}' }), 'blocked_address');
      assert.match(err.message, /OVERDUE_ALLOW_PRIVATE_TARGETS=true/);
      assert.equal(connects, 0);
      assert.equal(local.connections, 0);
    });
  }

  for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'http://']) {
    it(`refuses ${JSON.stringify(url)} as invalid_url`, async () => {
      await rejectsWith(client.request({ method: 'GET', url }), 'invalid_url');
      assert.equal(connects, 0);
    });
  }
});

describe('the socket is pinned to the vetted addresses', () => {
  it('hands the connection a lookup that answers with the checked addresses and never asks DNS again', async () => {
    const original = net.Socket.prototype.connect;
    let pinned: net.LookupFunction | undefined;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
      pinned = (first as { lookup?: net.LookupFunction }).lookup;
      process.nextTick(() => this.destroy(new Error('test: stop here')));
      return this;
    } as typeof original;
    try {
      await rejectsWith(new OutboundHttp({ allowPrivate: true, timeoutMs: 2000 }).request({ method: 'GET', url: 'http://localhost:9/' }), 'network');
    } finally {
      net.Socket.prototype.connect = original;
    }
    assert.ok(pinned, 'the connection got a lookup function');
    // Asked about any name at all, it answers with what was vetted for localhost: a rebinding answer cannot reach it.
    const answer = await new Promise<unknown>((resolve) => pinned?.('rebound.example', { all: true }, (_err, addresses) => resolve(addresses)));
    assert.ok(Array.isArray(answer) && answer.length > 0);
    for (const { address } of answer as Array<{ address: string }>) assert.notEqual(blockedReason(address), null, `${address} is a loopback address`);
  });
});

describe('requests to a local receiver (allowPrivate)', () => {
  const client = new OutboundHttp({ allowPrivate: true, timeoutMs: 2000, version: '1.2.3' });
  const servers: Receiver[] = [];
  const serve = async (handler: http.RequestListener) => {
    const r = await receiver(handler);
    servers.push(r);
    return r;
  };
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('sends the method, path, query, headers and body, with the default User-Agent', async () => {
    let seen: { method?: string; url?: string; headers?: http.IncomingHttpHeaders; body?: string } = {};
    const r = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() };
        res.setHeader('X-Reply', 'yes');
        res.end('ok');
      });
    });
    const response = await client.request({ method: 'put', url: `${r.url}/hook?x=1`, headers: { 'X-Custom': 'v', 'Content-Length': '999' }, body: 'héllo' });
    assert.deepEqual({ status: response.status, body: response.body, truncated: response.truncated, reply: response.headers['x-reply'] }, { status: 200, body: 'ok', truncated: false, reply: 'yes' });
    assert.equal(seen.method, 'PUT');
    assert.equal(seen.url, '/hook?x=1');
    assert.equal(seen.body, 'héllo');
    assert.equal(seen.headers?.['user-agent'], 'Overdue-Notifier/1.2.3');
    assert.equal(seen.headers?.['x-custom'], 'v');
    assert.equal(seen.headers?.['content-length'], String(Buffer.byteLength('héllo')));
  });

  it('returns HTTP error statuses instead of throwing', async () => {
    const r = await serve((req, res) => {
      res.statusCode = req.url === '/missing' ? 404 : 503;
      res.end(`status for ${req.url}`);
    });
    const missing = await client.request({ method: 'GET', url: `${r.url}/missing` });
    const down = await client.request({ method: 'POST', url: `${r.url}/down`, body: '{}' });
    assert.deepEqual([missing.status, missing.body, down.status, down.body], [404, 'status for /missing', 503, 'status for /down']);
  });

  it('caps the response body and says it was truncated', async () => {
    const r = await serve((_req, res) => res.end('x'.repeat(200_000)));
    const capped = new OutboundHttp({ allowPrivate: true, timeoutMs: 2000, maxResponseBytes: 1000 });
    const big = await capped.request({ method: 'GET', url: r.url });
    assert.equal(big.status, 200);
    assert.equal(big.body.length, 1000);
    assert.equal(big.truncated, true);
    const exact = await new OutboundHttp({ allowPrivate: true, timeoutMs: 2000, maxResponseBytes: 200_000 }).request({ method: 'GET', url: r.url });
    assert.equal(exact.truncated, false);
  });

  it('times out within the deadline when the receiver never answers', async () => {
    const r = await serve(() => undefined);
    const quick = new OutboundHttp({ allowPrivate: true, timeoutMs: 200 });
    const started = Date.now();
    await rejectsWith(quick.request({ method: 'POST', url: r.url, body: '{}' }), 'timeout');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 150 && elapsed < 1500, `took ${elapsed} ms`);
  });

  it('counts reading a slow body against the same deadline', async () => {
    const r = await serve((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    const quick = new OutboundHttp({ allowPrivate: true, timeoutMs: 200 });
    await rejectsWith(quick.request({ method: 'GET', url: r.url }), 'timeout');
  });

  it('reports a refused connection as a network error', async () => {
    const r = await receiver(() => undefined);
    await r.close();
    await rejectsWith(client.request({ method: 'GET', url: r.url }), 'network');
  });

  it('follows GET redirects, each hop being a new request', async () => {
    const r = await serve((req, res) => {
      const n = Number(req.url?.slice(1) ?? 0);
      if (n < 2) res.writeHead(302, { Location: `/${n + 1}` }).end();
      else res.end(`landed on ${n}`);
    });
    const response = await client.request({ method: 'GET', url: `${r.url}/0` });
    assert.deepEqual([response.status, response.body, r.hits], [200, 'landed on 2', 3]);
  });

  it('gives up with too_many_redirects on a loop, after maxRedirects hops', async () => {
    const r = await serve((_req, res) => res.writeHead(301, { Location: '/again' }).end());
    await rejectsWith(client.request({ method: 'GET', url: r.url }), 'too_many_redirects');
    assert.equal(r.hits, 4);
  });

  it('returns a 302 to a POST instead of following it, so the body is never re-sent as a GET', async () => {
    const r = await serve((_req, res) => res.writeHead(302, { Location: '/elsewhere' }).end());
    const response = await client.request({ method: 'POST', url: r.url, body: '{}' });
    assert.deepEqual([response.status, r.hits], [302, 1]);
  });

  it('follows a 307 keeping the method and body, and drops credentials when the origin changes', async () => {
    const seen: Array<{ method?: string; body: string; auth?: string; custom?: string | string[] }> = [];
    const target = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, body, auth: req.headers.authorization, custom: req.headers['x-custom'] });
        res.end('done');
      });
    });
    const origin = await serve((_req, res) => res.writeHead(307, { Location: `${target.url}/moved` }).end());
    const response = await client.request({ method: 'POST', url: origin.url, body: 'payload', headers: { Authorization: 'Bearer t', 'X-Custom': 'kept' } });
    assert.equal(response.body, 'done');
    assert.deepEqual(seen, [{ method: 'POST', body: 'payload', auth: undefined, custom: 'kept' }]);
  });

  it('checks every redirect target again, refusing a non-http scheme', async () => {
    const r = await serve((_req, res) => res.writeHead(302, { Location: 'file:///etc/passwd' }).end());
    await rejectsWith(client.request({ method: 'GET', url: r.url }), 'invalid_url');
  });

  it('sends credentials from the URL as Basic auth and never puts them in an error message', async () => {
    let auth: string | undefined;
    const r = await serve((req, res) => {
      auth = req.headers.authorization;
      res.end();
    });
    await client.request({ method: 'GET', url: r.url.replace('//', '//user:s3cr%40t@') });
    assert.equal(auth, `Basic ${Buffer.from('user:s3cr@t').toString('base64')}`);

    const silent = await serve(() => undefined);
    const err = await rejectsWith(new OutboundHttp({ allowPrivate: true, timeoutMs: 100 }).request({ method: 'GET', url: silent.url.replace('//', '//user:s3cret@') + '/?token=abc' }), 'timeout');
    assert.doesNotMatch(err.message, /s3cret|abc/);
  });
});

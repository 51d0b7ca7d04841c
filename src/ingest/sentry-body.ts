/**
 * Request bodies as Sentry clients send them: the JS SDK gzips envelopes over 32 KiB (`Content-Encoding: gzip`);
 * Relay also takes `deflate` and `br`, so they are read too.
 */
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw, type ZlibOptions } from 'node:zlib';

const decoders: Readonly<Record<string, (buf: Buffer, options: ZlibOptions) => Promise<Buffer>>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: inflateZlibOrRaw,
  br: promisify(brotliDecompress) as (buf: Buffer, options: ZlibOptions) => Promise<Buffer>,
};

/** Why a body could not be decoded: an encoding we do not read (415), too large once decoded (413), or corrupt (400). */
export class BodyDecodeError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'BodyDecodeError';
  }
}

/**
 * Undoes the `Content-Encoding` (a comma-separated list, applied in order, so decoded last to first; `identity`
 * is a no-op). The decoded body may be at most `maxBytes`: a small compressed body cannot expand without bound.
 * @throws BodyDecodeError
 */
export async function decodeBody(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const encodings = (contentEncoding ?? '').split(',').map((e) => e.trim().toLowerCase()).filter((e) => e !== '' && e !== 'identity');
  let out = body;
  for (const encoding of encodings.reverse()) {
    const decode = Object.hasOwn(decoders, encoding) ? decoders[encoding] : undefined;
    if (!decode) throw new BodyDecodeError(415, `unsupported content encoding "${encoding}" (gzip, deflate and br are read)`);
    try {
      out = await decode(out, { maxOutputLength: maxBytes });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyDecodeError(413, `the decoded body exceeds ${maxBytes} bytes`);
      throw new BodyDecodeError(400, `invalid ${encoding} body`);
    }
  }
  return out;
}

/** `deflate` is meant to be zlib-wrapped, but some clients send a raw deflate stream; both are read. */
async function inflateZlibOrRaw(buf: Buffer, options: ZlibOptions): Promise<Buffer> {
  try {
    return await promisify(inflate)(buf, options);
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw err;
    return promisify(inflateRaw)(buf, options);
  }
}

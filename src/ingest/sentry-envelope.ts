/**
 * Sentry envelope framing: `Headers {"\n" Item} ["\n"]`, where each item is a JSON header line and a payload.
 * With a `length` in the item header the payload is exactly that many bytes (then `\n` or the end); without it,
 * the payload runs to the next `\n` or the end. The JS SDK sends items without `length` and no trailing newline;
 * sentry-cli sends `length` and a trailing newline; both parse alike.
 */

export interface EnvelopeItem {
  /** The item header's `type` (`check_in`, `event`, `span`, `client_report`, …); '' when absent. */
  type: string;
  headers: Record<string, unknown>;
  payload: Buffer;
}

export interface Envelope {
  headers: Record<string, unknown>;
  items: EnvelopeItem[];
}

/** A body that is not an envelope; the message says where it broke. */
export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

const NEWLINE = 0x0a;

/**
 * Splits an envelope into its headers and items. Blank lines between items (and any number of trailing newlines)
 * are tolerated. Payloads are returned as they are: only their framing is checked here.
 * @throws EnvelopeError for an empty body, a header line that is not a JSON object, a `length` that is not a
 *   non-negative integer or runs past the end, or a payload of given length not followed by `\n` or the end.
 */
export function parseEnvelope(body: Buffer): Envelope {
  if (body.length === 0) throw new EnvelopeError('empty envelope');
  let pos = 0;
  const nextLine = (): Buffer => {
    const end = body.indexOf(NEWLINE, pos);
    const line = body.subarray(pos, end < 0 ? body.length : end);
    pos = end < 0 ? body.length : end + 1;
    return line;
  };

  const headers = jsonObject(nextLine(), 'envelope header');
  const items: EnvelopeItem[] = [];
  while (pos < body.length) {
    const headerLine = nextLine();
    if (isBlank(headerLine)) continue;
    const itemHeaders = jsonObject(headerLine, `item ${items.length + 1} header`);
    const length = itemHeaders.length;
    let payload: Buffer;
    if (length === undefined || length === null) {
      payload = nextLine();
    } else {
      if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
        throw new EnvelopeError(`item ${items.length + 1}: length must be a non-negative integer`);
      }
      if (pos + length > body.length) throw new EnvelopeError(`item ${items.length + 1}: length ${length} runs past the end of the envelope`);
      payload = body.subarray(pos, pos + length);
      pos += length;
      if (pos < body.length) {
        if (body[pos] !== NEWLINE) throw new EnvelopeError(`item ${items.length + 1}: payload of length ${length} is not followed by a newline`);
        pos++;
      }
    }
    items.push({ type: typeof itemHeaders.type === 'string' ? itemHeaders.type : '', headers: itemHeaders, payload });
  }
  return { headers, items };
}

function isBlank(line: Buffer): boolean {
  return line.every((b) => b === 0x20 || b === 0x09 || b === 0x0d);
}

function jsonObject(line: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    throw new EnvelopeError(`${what} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EnvelopeError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

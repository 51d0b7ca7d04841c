/**
 * Matrix through the client-server API: PUT <homeserver>/_matrix/client/v3/rooms/<room>/send/m.room.message/<txnId>
 * with the access token as a Bearer header. The bot's account must already have joined the room.
 *
 * The transaction id is the message's idempotency key. The homeserver de-duplicates a PUT that repeats a transaction
 * id for the same access token, so a re-send after a crash or a lost answer returns the original event instead of
 * posting the alert twice.
 * The msgtype is m.text, not m.notice: the default push rules silence notices, and an alert has to notify.
 */
import { invalid } from '../../domain/errors.js';
import type { ChannelKind, DeliveryResult, NotificationMessage } from '../channel.js';
import { redactUrl, type OutboundHttp } from '../outbound-http.js';
import { TOKEN, callApi, hint, htmlText, parseBaseUrl, parseSecret, plainText, settings, withTail } from './common.js';

export interface MatrixConfig {
  homeserver: string;
  access_token: string;
  room_id: string;
}

const FIELDS = ['homeserver', 'access_token', 'room_id'];
// A room id, not an alias (#name:server): the send endpoint only takes ids.
const ROOM_ID = /^![^\s:]+:\S+$/;
/** Matrix caps an event at 65 536 bytes of JSON; this leaves room for what the homeserver adds. */
const MAX_CONTENT_BYTES = 60_000;

function parseRoomId(value: unknown): string {
  if (typeof value !== 'string' || !ROOM_ID.test(value) || value.length > 255) {
    throw invalid('config.room_id', 'required: a room id such as "!abcdef:example.org" (Room settings → Advanced), not an alias');
  }
  return value;
}

function content(m: NotificationMessage, tail: string | null): Record<string, string> {
  return {
    msgtype: 'm.text',
    body: plainText(m, tail, { headline: true, link: true }),
    format: 'org.matrix.custom.html',
    formatted_body: htmlText(m, tail, '<br>\n'),
  };
}

export const matrixChannel: ChannelKind<MatrixConfig> = {
  kind: 'matrix',

  parseConfig(input: unknown): MatrixConfig {
    const raw = settings(input, 'matrix', FIELDS);
    return {
      homeserver: parseBaseUrl('config.homeserver', raw.homeserver, null),
      access_token: parseSecret('config.access_token', raw.access_token, TOKEN, "the bot account's access token, without spaces"),
      room_id: parseRoomId(raw.room_id),
    };
  },

  redact(config: MatrixConfig): Record<string, unknown> {
    return { homeserver: redactUrl(config.homeserver), access_token: hint(config.access_token), room_id: config.room_id };
  },

  async send(m: NotificationMessage, config: MatrixConfig, http: OutboundHttp): Promise<DeliveryResult> {
    const event = withTail(m, 4000, MAX_CONTENT_BYTES, (tail) => content(m, tail), (c) => Buffer.byteLength(JSON.stringify(c)));
    const room = encodeURIComponent(config.room_id);
    const txnId = encodeURIComponent(m.idempotencyKey);
    return callApi(http, {
      kind: 'matrix',
      method: 'PUT',
      url: `${config.homeserver}/_matrix/client/v3/rooms/${room}/send/m.room.message/${txnId}`,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${config.access_token}` },
      body: JSON.stringify(event),
      secrets: [config.access_token],
    });
  },
};

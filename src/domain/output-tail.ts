/** The end of a job's output, as alerts show it: the last lines are where errors usually are. */
export const OUTPUT_TAIL_LINES = 20;
export const OUTPUT_TAIL_CHARS = 2000;

/** The last OUTPUT_TAIL_LINES lines (at most OUTPUT_TAIL_CHARS characters) of the body, else the msg, else null. */
export function outputTail(body: string | null, msg: string | null): string | null {
  const text = body && body.trim() ? body : msg && msg.trim() ? msg : null;
  if (text === null) return null;
  const lines = text.replace(/\s+$/, '').split(/\r?\n/);
  let tail = lines.slice(-OUTPUT_TAIL_LINES).join('\n');
  if (tail.length > OUTPUT_TAIL_CHARS) tail = `…${tail.slice(-(OUTPUT_TAIL_CHARS - 1))}`;
  return tail;
}

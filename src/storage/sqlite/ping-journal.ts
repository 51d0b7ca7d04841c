/**
 * The SQLite store's ping journal: the write-ahead half of the WAL-first design (shared/reference/perf.md §7).
 * A batch of pings is appended with one positioned write in the libuv pool (the file is opened with O_DSYNC,
 * so the write returns only once the bytes are on disk, like write + fdatasync) and is acknowledged after that;
 * SQLite receives the same pings later as a projection (sqlite-store.ts), which records in its own
 * transaction how far into the journal it has applied.
 *
 * Layout: `<db>.ping-journal/<sequence, 16 hex>.seg`. A segment starts with a 32-byte header (magic, format,
 * the database's journal id, the LSN of its first frame) followed by frames: payload length u32, CRC-32 u32,
 * LSN u64, payload. LSNs count frame bytes across all segments, so the end of one segment is the base of the
 * next. The CRC covers the LSN and the payload, and a frame is accepted only at the LSN where it is expected:
 * a torn or never-written tail, the zeros of a preallocated file and the old frames of a recycled one all read
 * as the end of the journal. Appends are acknowledged in order, so a frame after such an end was never
 * acknowledged and is dropped too.
 *
 * Segments are preallocated (written with zeros and synced, then the directory) before they are used, so an
 * append changes no file metadata and its sync writes only the data; fully applied segments are recycled as
 * spares rather than deleted, which spares the next preallocation.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, write, writeSync, constants } from 'node:fs';
import { open as openAsync, rename as renameAsync } from 'node:fs/promises';
import { join } from 'node:path';
import * as zlib from 'node:zlib';

const MAGIC = 0x314a444f; // "ODJ1" little-endian
const FORMAT = 1;
export const SEGMENT_HEADER_BYTES = 32;
export const FRAME_HEADER_BYTES = 16;
/** A frame larger than this is corruption, not a ping batch member (bodies are at most 100 KiB). */
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
const SEGMENT_FILE = /^([0-9a-f]{16})\.seg$/;
const SPARE_FILE = /^spare-[0-9a-f]{16}$/;
const SPARES_KEPT = 2;
const TWO_32 = 2 ** 32;

/** node:zlib has crc32 from Node 20.15 / 22.2; older Node 20 releases get the same CRC from a table. */
const crc32: (data: Uint8Array, value?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? zlib.crc32 : tableCrc32;

let crcTable: Uint32Array | null = null;
function tableCrc32(data: Uint8Array, value = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~value >>> 0;
  for (const byte of data) c = (crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8)) >>> 0;
  return ~c >>> 0;
}

export interface JournalRecord {
  /** The LSN of the record's frame, and the LSN just after it (what the projection stores once applied). */
  lsn: number;
  end: number;
  payload: Buffer;
}

export interface JournalOptions {
  dir: string;
  /** 16 random bytes kept in the database: segments of another database's journal are never replayed. */
  journalId: Buffer;
  /** true: an append resolves once its bytes are durable (O_DSYNC); false: once the OS has them (a process crash keeps them). */
  sync: boolean;
  /** Preallocated size of a segment's frame area (default 4 MiB); a batch larger than that gets a segment of its own. */
  segmentBytes?: number;
}

interface Segment {
  seq: number;
  path: string;
  fd: number;
  base: number;
  /** Frame bytes reserved so far (written or being written). */
  used: number;
  capacity: number;
  /** The header goes out with the segment's first write. */
  headerWritten: boolean;
  inflight: number;
  /** Set when the next segment takes over: the LSN after this segment's last frame. */
  sealedEnd: number | null;
}

interface Batch {
  end: number;
  done: boolean;
  error: Error | null;
  resolve: () => void;
  reject: (e: Error) => void;
}

const fileOf = (seq: number) => `${seq.toString(16).padStart(16, '0')}.seg`;

function header(journalId: Buffer, base: number): Buffer {
  const h = Buffer.alloc(SEGMENT_HEADER_BYTES);
  h.writeUInt32LE(MAGIC, 0);
  h.writeUInt32LE(FORMAT, 4);
  journalId.copy(h, 8, 0, 16);
  h.writeUInt32LE(base % TWO_32, 24);
  h.writeUInt32LE(Math.floor(base / TWO_32), 28);
  return h;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads the frames of one segment file from `from` (an LSN at or after its base) while they are valid. */
function readFrames(file: Buffer, base: number, from: number, out: JournalRecord[]): number {
  let lsn = from;
  let pos = SEGMENT_HEADER_BYTES + (from - base);
  while (pos + FRAME_HEADER_BYTES <= file.length) {
    const len = file.readUInt32LE(pos);
    if (len === 0 || len > MAX_PAYLOAD_BYTES || pos + FRAME_HEADER_BYTES + len > file.length) break;
    const frameLsn = file.readUInt32LE(pos + 8) + file.readUInt32LE(pos + 12) * TWO_32;
    if (frameLsn !== lsn || crc32(file.subarray(pos + 8, pos + FRAME_HEADER_BYTES + len)) !== file.readUInt32LE(pos + 4)) break;
    const end = lsn + FRAME_HEADER_BYTES + len;
    out.push({ lsn, end, payload: Buffer.from(file.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + len)) });
    pos += FRAME_HEADER_BYTES + len;
    lsn = end;
  }
  return lsn;
}

/** The records in frames as `append` returned them (trusted: no CRC check), with their end LSNs. */
export function framesToRecords(frames: Buffer): JournalRecord[] {
  const out: JournalRecord[] = [];
  for (let pos = 0; pos + FRAME_HEADER_BYTES <= frames.length; ) {
    const len = frames.readUInt32LE(pos);
    const lsn = frames.readUInt32LE(pos + 8) + frames.readUInt32LE(pos + 12) * TWO_32;
    out.push({ lsn, end: lsn + FRAME_HEADER_BYTES + len, payload: frames.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + len) });
    pos += FRAME_HEADER_BYTES + len;
  }
  return out;
}

export class PingJournal {
  private readonly dir: string;
  private readonly journalId: Buffer;
  private readonly sync: boolean;
  private readonly segmentBytes: number;
  private nextSeq = 1;
  private lsn = 0;
  private durable = 0;
  private current: Segment | null = null;
  private readonly sealed: Segment[] = [];
  private prepared: Segment | null = null;
  private preparing: Promise<void> | null = null;
  private readonly batches: Batch[] = [];
  private idleWaiters: (() => void)[] = [];
  private failure: Error | null = null;
  private closed = false;

  private constructor(options: JournalOptions) {
    this.dir = options.dir;
    this.journalId = options.journalId;
    this.sync = options.sync;
    this.segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
  }

  /**
   * Opens the journal directory (creating it) and reads every valid record from `fromLsn` on, without changing
   * any file. `end` is the LSN after the last valid record; `next` is where new frames must start (past every
   * old file's bytes). Once the caller has applied the tail and durably recorded `next` as applied, it calls
   * `retireOld()`, then `begin(next)` (or another thread `forAppending(…, next)`).
   */
  static open(options: JournalOptions, fromLsn: number): { journal: PingJournal; tail: JournalRecord[]; end: number; next: number } {
    const journal = new PingJournal(options);
    mkdirSync(options.dir, { recursive: true });
    const segments: { base: number; file: Buffer }[] = [];
    let next = fromLsn;
    for (const { seq, name } of journal.segmentFiles()) {
      journal.nextSeq = Math.max(journal.nextSeq, seq + 1);
      const file = readFileSync(join(options.dir, name));
      if (file.length < SEGMENT_HEADER_BYTES || file.readUInt32LE(0) !== MAGIC || file.readUInt32LE(4) !== FORMAT) continue; // never written
      if (!file.subarray(8, 24).equals(options.journalId)) continue; // another database's journal: never replayed
      const base = file.readUInt32LE(24) + file.readUInt32LE(28) * TWO_32;
      segments.push({ base, file });
      next = Math.max(next, base + file.length - SEGMENT_HEADER_BYTES);
    }
    // Segments are used in LSN order (a prepared one may have a lower sequence number than one made in a hurry).
    segments.sort((a, b) => a.base - b.base);
    const tail: JournalRecord[] = [];
    let expected = fromLsn;
    for (const { base, file } of segments) {
      if (base > expected) break; // a gap: what follows depended on frames that are lost, and was never acknowledged
      expected = readFrames(file, base, expected, tail);
    }
    // New frames start past every byte of the old files, so no stale frame can ever sit at an LSN a new one gets.
    return { journal, tail, end: expected, next: Math.max(next, expected) };
  }

  /** The segment files in sequence order (the order they were written in). */
  private segmentFiles(): { seq: number; name: string }[] {
    return readdirSync(this.dir)
      .flatMap((name) => {
        const m = SEGMENT_FILE.exec(name);
        return m ? [{ seq: parseInt(m[1]!, 16), name }] : [];
      })
      .sort((a, b) => a.seq - b.seq);
  }

  private spareFiles(): string[] {
    return readdirSync(this.dir).filter((n) => SPARE_FILE.test(n)).sort();
  }

  /**
   * Retires every segment file from before (recycled as a spare or deleted): the caller has made everything
   * valid in them durable elsewhere, and the rest was never acknowledged.
   */
  retireOld(): void {
    let spares = this.spareFiles().length;
    for (const { seq, name } of this.segmentFiles()) {
      if (spares < SPARES_KEPT) {
        renameSync(join(this.dir, name), join(this.dir, `spare-${seq.toString(16).padStart(16, '0')}`));
        spares++;
      } else {
        unlinkSync(join(this.dir, name));
      }
    }
  }

  /** Starts appending at `lsn` in a fresh segment (the old ones must be retired). */
  begin(lsn: number): void {
    for (const { seq } of this.segmentFiles()) this.nextSeq = Math.max(this.nextSeq, seq + 1);
    this.lsn = lsn;
    this.durable = lsn;
    // The first segment: a recycled spare if there is one (its blocks are allocated), else a new, growing file.
    this.current = this.takeSpareSync() ?? this.createSync();
    this.current.base = lsn;
    fsyncDir(this.dir);
  }

  /** A journal to append to from `lsn` on, in a directory whose earlier segments were retired (by another thread's store). */
  static forAppending(options: JournalOptions, lsn: number): PingJournal {
    const journal = new PingJournal(options);
    mkdirSync(options.dir, { recursive: true });
    journal.begin(lsn);
    return journal;
  }

  /** The LSN the next append gets. */
  get endLsn(): number {
    return this.lsn;
  }

  /** Every frame before this LSN is durable (acknowledged). */
  get durableLsn(): number {
    return this.durable;
  }

  /** The error that stopped the journal, if any: nothing is appended after a failed write. */
  get error(): Error | null {
    return this.failure;
  }

  /**
   * Appends one frame per payload in one write. Returns each frame's end LSN at once, and a promise that
   * resolves when this append and every earlier one are durable, or rejects if one of them failed.
   */
  append(payloads: Buffer[]): { ends: number[]; done: Promise<void>; frames: Buffer } {
    if (this.failure) throw this.failure;
    if (this.closed || !this.current) throw new Error('the ping journal is closed');
    let total = 0;
    for (const p of payloads) {
      if (p.length === 0 || p.length > MAX_PAYLOAD_BYTES) throw new Error(`ping journal: a record of ${p.length} bytes`);
      total += FRAME_HEADER_BYTES + p.length;
    }
    if (this.current.used > 0 && this.current.used + total > this.current.capacity) this.roll();
    const seg = this.current;
    const withHeader = !seg.headerWritten;
    // Its own ArrayBuffer (not the shared pool): `frames` may be sent to another thread, which copies the whole buffer.
    const buf = Buffer.allocUnsafeSlow((withHeader ? SEGMENT_HEADER_BYTES : 0) + total);
    let pos = 0;
    if (withHeader) {
      header(this.journalId, seg.base).copy(buf, 0);
      pos = SEGMENT_HEADER_BYTES;
      seg.headerWritten = true;
    }
    const ends: number[] = [];
    let lsn = this.lsn;
    for (const p of payloads) {
      buf.writeUInt32LE(p.length, pos);
      buf.writeUInt32LE(lsn % TWO_32, pos + 8);
      buf.writeUInt32LE(Math.floor(lsn / TWO_32), pos + 12);
      p.copy(buf, pos + FRAME_HEADER_BYTES);
      buf.writeUInt32LE(crc32(buf.subarray(pos + 8, pos + FRAME_HEADER_BYTES + p.length)), pos + 4);
      pos += FRAME_HEADER_BYTES + p.length;
      lsn += FRAME_HEADER_BYTES + p.length;
      ends.push(lsn);
    }
    const fileOffset = withHeader ? 0 : SEGMENT_HEADER_BYTES + seg.used;
    seg.used += total;
    this.lsn = lsn;
    let batch!: Batch;
    const done = new Promise<void>((resolve, reject) => {
      batch = { end: lsn, done: false, error: null, resolve, reject };
    });
    this.batches.push(batch);
    seg.inflight++;
    this.writeAll(seg.fd, buf, fileOffset, (err) => {
      seg.inflight--;
      batch.done = true;
      batch.error = err;
      this.settle();
      if (seg.inflight === 0 && seg.sealedEnd !== null) this.closeFd(seg);
    });
    // Half-way through a segment, get the next one ready in the background.
    if (!this.prepared && !this.preparing && seg.used * 2 >= seg.capacity) this.prepareNext();
    return { ends, done, frames: buf.subarray(withHeader ? SEGMENT_HEADER_BYTES : 0) };
  }

  /** True while an append is being written. */
  get busy(): boolean {
    return this.batches.length > 0;
  }

  /** Resolves when every append made so far has finished (durable, or failed). */
  idle(): Promise<void> {
    if (this.batches.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Retires the sealed segments whose frames all end at or before `lsn`, which the caller has made durable in SQLite. */
  retire(lsn: number): void {
    while (this.sealed.length > 0 && this.sealed[0]!.sealedEnd! <= lsn && this.sealed[0]!.inflight === 0) {
      const seg = this.sealed.shift()!;
      this.closeFd(seg);
      this.recycle(seg.path, seg.seq);
    }
  }

  /**
   * Waits for the appends in flight, then closes. With `appliedLsn` at the end of the journal (everything is
   * durable in SQLite), every segment is retired, so the next open has nothing to read.
   */
  async close(appliedLsn: number | null): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.idle();
    await this.preparing?.catch(() => undefined);
    const all = [...this.sealed, ...(this.current ? [this.current] : [])];
    this.sealed.length = 0;
    for (const seg of all) {
      this.closeFd(seg);
      if (appliedLsn !== null && !this.failure && appliedLsn >= this.lsn) this.recycle(seg.path, seg.seq);
    }
    if (this.prepared) {
      this.closeFd(this.prepared);
      this.recycle(this.prepared.path, this.prepared.seq);
      this.prepared = null;
    }
    this.current = null;
  }

  private settle(): void {
    while (this.batches.length > 0 && this.batches[0]!.done) {
      const b = this.batches.shift()!;
      // Acknowledged in order: after a failed write nothing later may count as durable.
      if (b.error && !this.failure) this.failure = b.error;
      if (this.failure) {
        b.reject(this.failure);
      } else {
        this.durable = b.end;
        b.resolve();
      }
    }
    if (this.batches.length === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private writeAll(fd: number, buf: Buffer, position: number, cb: (err: Error | null) => void): void {
    write(fd, buf, 0, buf.length, position, (err, written) => {
      if (err) return cb(err);
      if (written < buf.length) return this.writeAll(fd, buf.subarray(written), position + written, cb);
      cb(null);
    });
  }

  /** Seals the current segment at the present end and continues in the next one. */
  private roll(): void {
    const old = this.current!;
    old.sealedEnd = this.lsn;
    this.sealed.push(old);
    if (old.inflight === 0) this.closeFd(old);
    let next = this.prepared;
    this.prepared = null;
    if (!next) {
      // Not ready in time: a spare (unless the preparation is taking it) or a new file, made here; its name
      // must be durable before a frame in it is acknowledged.
      next = (this.preparing ? null : this.takeSpareSync()) ?? this.createSync();
      fsyncDir(this.dir);
    }
    next.base = this.lsn;
    this.current = next;
  }

  private appendFlags(): number {
    return constants.O_WRONLY | (this.sync ? constants.O_DSYNC : 0);
  }

  private newSegment(seq: number, fd: number): Segment {
    return { seq, path: join(this.dir, fileOf(seq)), fd, base: 0, used: 0, capacity: this.segmentBytes, headerWritten: false, inflight: 0, sealedEnd: null };
  }

  /** A new, empty segment file (it grows as frames are appended), created synchronously. */
  private createSync(): Segment {
    const seq = this.nextSeq++;
    const fd = openSync(join(this.dir, fileOf(seq)), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (this.sync ? constants.O_DSYNC : 0), 0o600);
    return this.newSegment(seq, fd);
  }

  /** A spare (recycled) segment renamed into the next sequence slot, its old header cleared. */
  private takeSpareSync(): Segment | null {
    const spare = this.spareFiles()[0];
    if (!spare) return null;
    const seq = this.nextSeq++;
    const path = join(this.dir, fileOf(seq));
    renameSync(join(this.dir, spare), path);
    const fd = openSync(path, this.appendFlags());
    writeSync(fd, Buffer.alloc(SEGMENT_HEADER_BYTES), 0, SEGMENT_HEADER_BYTES, 0);
    return this.newSegment(seq, fd);
  }

  /** Readies the next segment off the event loop: a spare, or a new file written with zeros; then syncs it and the directory. */
  private prepareNext(): void {
    const seq = this.nextSeq++;
    const path = join(this.dir, fileOf(seq));
    const spare = this.spareFiles()[0];
    this.preparing = (async () => {
      if (spare) await renameAsync(join(this.dir, spare), path);
      const handle = await openAsync(path, spare ? 'r+' : 'wx', 0o600);
      try {
        // A spare keeps its old frames (they carry old LSNs, never valid again) but loses its header; whatever
        // part of the frame area was never written is written with zeros now.
        const size = SEGMENT_HEADER_BYTES + this.segmentBytes;
        const zeros = Buffer.alloc(Math.min(1024 * 1024, size));
        await handle.write(zeros, 0, SEGMENT_HEADER_BYTES, 0);
        for (let at = Math.max(SEGMENT_HEADER_BYTES, (await handle.stat()).size); at < size; at += zeros.length) {
          await handle.write(zeros, 0, Math.min(zeros.length, size - at), at);
        }
        await handle.datasync();
      } finally {
        await handle.close();
      }
      const dirHandle = await openAsync(this.dir, 'r');
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
      const fd = openSync(path, this.appendFlags());
      if (this.closed) {
        closeSync(fd);
        this.recycle(path, seq);
        return;
      }
      this.prepared = this.newSegment(seq, fd);
    })()
      .catch(() => undefined) // not fatal: roll() then makes a segment synchronously
      .finally(() => {
        this.preparing = null;
      });
  }

  private closeFd(seg: Segment): void {
    if (seg.fd >= 0) {
      closeSync(seg.fd);
      seg.fd = -1;
    }
  }

  /** Keeps a retired segment as a spare (its blocks stay allocated) or deletes it. */
  private recycle(path: string, seq: number): void {
    try {
      if (this.spareFiles().length < SPARES_KEPT) renameSync(path, join(this.dir, `spare-${seq.toString(16).padStart(16, '0')}`));
      else unlinkSync(path);
    } catch {
      // Already gone; a leftover segment is retired at the next start.
    }
  }
}

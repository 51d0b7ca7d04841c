/**
 * The better-sqlite3 build for the running Node. Version 12 (compiled from source here) aborts the process on
 * Node ≥ 24.19 when a prepared statement is garbage-collected (ObjectWrap cleanup hooks, WiseLibs/better-sqlite3
 * #1515); version 13 is rebuilt on Node-API and fixes that, but needs Node ≥ 22 and crashes on Node 20. Both
 * expose the same API, so the choice is made once, here.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);
const nodeMajor = Number(process.versions.node.split('.')[0]);

export const Database: typeof BetterSqlite3 = require(nodeMajor >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3') as typeof BetterSqlite3;
export type Database = BetterSqlite3.Database;

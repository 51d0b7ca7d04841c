import assert from 'node:assert/strict';
import { AppError } from '../../src/domain/errors.js';

/** Asserts that `fn` throws a validation error for `field` whose message names the field and matches `message`. */
export function assertInvalid(fn: () => unknown, field: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    assert.equal(err.code, 'validation_error');
    assert.equal(err.field, field);
    assert.ok(err.message.startsWith(`${field}: `), err.message);
    assert.match(err.message, message);
    return true;
  });
}

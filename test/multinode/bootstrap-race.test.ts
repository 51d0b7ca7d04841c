/** Several nodes starting at once on one empty PostgreSQL database with the same bootstrap key. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/app/clock.js';
import { bootstrap } from '../../src/app/keys.js';
import { hashSecret } from '../../src/app/secrets.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { freshSchema, skipWithoutPostgres, TEST_DATABASE_URL } from '../helpers/postgres.js';

const KEY = 'odk_shared_bootstrap_key_0123456789';

async function withNodes(n: number, work: (stores: PostgresStore[]) => Promise<void>): Promise<void> {
  const schema = await freshSchema();
  const stores = await Promise.all(Array.from({ length: n }, () => PostgresStore.open({ url: TEST_DATABASE_URL ?? '', schema: schema.schema, max: 2 })));
  try {
    await work(stores);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await schema.drop();
  }
}

describe('bootstrapping one shared database from several nodes at once', { skip: skipWithoutPostgres }, () => {
  it('creates one project and one key when every node brings the same bootstrap key', async () => {
    await withNodes(4, async (stores) => {
      const results = await Promise.all(stores.map((s) => bootstrap(s, systemClock, KEY)));
      const [store] = stores as [PostgresStore];
      const projects = await store.listProjects();
      assert.equal(projects.length, 1);
      const keys = await store.listApiKeys(projects[0]!.id);
      assert.equal(keys.length, 1);
      assert.equal((await store.findApiKeyByHash(hashSecret(KEY)))?.projectId, projects[0]!.id);
      assert.ok(results.some((r) => r !== null), 'one of them did it');
      assert.ok(results.every((r) => r?.printableSecret == null), 'nobody prints a key it did not invent');
      // A later start finds everything in place.
      assert.equal(await bootstrap(store, systemClock, KEY), null);
    });
  });

  it('creates one project and prints one random admin key when no bootstrap key is set', async () => {
    await withNodes(3, async (stores) => {
      const results = await Promise.all(stores.map((s) => bootstrap(s, systemClock, undefined)));
      const [store] = stores as [PostgresStore];
      const projects = await store.listProjects();
      assert.equal(projects.length, 1);
      assert.equal((await store.listApiKeys(projects[0]!.id)).length, 1);
      const printed = results.filter((r) => r?.printableSecret);
      assert.equal(printed.length, 1, 'exactly one node shows the key it created');
    });
  });
});

/** The PostgreSQL store against a real PostgreSQL server started for this file (test/helpers/postgres.ts). */
import { createPostgresStore } from '../../src/monitor/store-postgres';
import { describePostgres, startPostgres, type TestPostgres } from '../helpers/postgres';
import { storeContract } from '../helpers/store-contract';

describePostgres('PostgreSQL prediction store', () => {
  let pg: TestPostgres;
  let n = 0;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.destroy();
  });

  storeContract(async () => {
    const store = createPostgresStore({ connectionString: await pg.createDatabase(`contract_${++n}`) });
    await store.open();
    return store;
  });

  it('applies the migrations once when several replicas open the same database at once', async () => {
    const url = await pg.createDatabase('concurrent');
    const stores = Array.from({ length: 4 }, () => createPostgresStore({ connectionString: url }));
    await Promise.all(stores.map((s) => s.open()));
    await Promise.all(stores.map((s) => s.close()));
  });
});

import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations, type DataSourceOptions } from '../data-source';

/**
 * A new, migrated database on the test cluster, for tests that must own the whole log (tampering,
 * counting every event). `owner` is the superuser connection, `url` its address.
 */
export const freshDatabase = async (baseUrl = process.env['DATABASE_URL']!): Promise<{ url: string; owner: DataSource; connect: (options?: DataSourceOptions) => Promise<DataSource>; drop: () => Promise<void> }> => {
  const name = `care_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const owner = await createDataSource(url.toString(), 4).initialize();
  await runMigrations(owner);
  const opened: DataSource[] = [owner];
  return {
    url: url.toString(),
    owner,
    connect: async (options = {}) => {
      const ds = await createDataSource(url.toString(), 4, options).initialize();
      opened.push(ds);
      return ds;
    },
    drop: async () => {
      for (const ds of opened) if (ds.isInitialized) await ds.destroy();
      const c = new Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
};

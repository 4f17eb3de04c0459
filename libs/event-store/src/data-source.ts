import { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';

/** A TypeORM data source for the service's database. Schema changes only through migrations. */
export const createDataSource = (url: string, poolSize = 10): DataSource =>
  new DataSource({
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    extra: { max: poolSize, application_name: 'mdma-care-backbone' },
    logging: false,
  });

// Any constant works; it only has to be the same for every process that migrates this database.
const MIGRATION_LOCK = 7_420_190;

/**
 * Runs pending migrations. Serialised by an advisory lock, because parallel test workers and several
 * service replicas may start at once and TypeORM does not lock on its own.
 */
export const runMigrations = async (dataSource: DataSource): Promise<string[]> => {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
};

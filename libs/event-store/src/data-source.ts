import { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';

/** The restricted role the API and the worker run as (created by the migrations). */
export const APP_DATABASE_ROLE = 'care_app';

export type DataSourceOptions = {
  /**
   * A role every connection of the pool switches to at start-up (`-c role=...`), so the service runs
   * with that role's grants even when its login is the schema owner. Null: run as the login role
   * (migrations, tools, and logins that already are the restricted role).
   */
  role?: string | null;
};

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A TypeORM data source for the service's database. Schema changes only through migrations. */
export const createDataSource = (url: string, poolSize = 10, options: DataSourceOptions = {}): DataSource => {
  if (options.role && !ROLE_NAME.test(options.role)) throw new Error('database role must be a lower-case SQL identifier');
  return new DataSource({
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    // A startup parameter rather than a SET after connect: it applies to every pooled connection,
    // including reconnections, before the first query can run.
    // No JIT: its compilation (hundreds of ms) dwarfs the short queries of this service, and the
    // planner's cost estimate for a page with its correction lookups is enough to trigger it.
    // random_page_cost 1.1 (SSD or cached data): at the default 4.0 the planner reads a site's events
    // through the log-order index, filtering out the other sites, instead of the site's own index (12x
    // slower for an export batch, measured with tools/bench/audit.bench.js).
    extra: {
      max: poolSize,
      application_name: 'mdma-care-backbone',
      options: `-c jit=off -c random_page_cost=1.1${options.role ? ` -c role=${options.role}` : ''}`,
    },
    logging: false,
  });
};

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

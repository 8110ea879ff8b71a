/**
 * Prints the SQL TypeORM would need to bring a fully migrated database in line with the entities.
 * Usage: DATABASE_URL=postgres://... npx ts-node -r tsconfig-paths/register scripts/migration-generate.ts
 * An empty output means entities and migrations agree (the test suite checks the same).
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../apps/secondary-node/src/database/data-source-options';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const dataSource = new DataSource(dataSourceOptions(url));
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
    const sql = await dataSource.driver.createSchemaBuilder().log();
    for (const query of sql.upQueries) console.log(`${query.query};`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

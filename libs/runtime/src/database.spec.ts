import { postgresDataSourceOptions } from './database';

class SomeEntity {}

describe('postgresDataSourceOptions', () => {
  const url = 'postgres://postgres@127.0.0.1:5432/db';

  it('never synchronizes and runs migrations in one transaction, named by the app', () => {
    const options = postgresDataSourceOptions(url, { applicationName: 'idis-test', entities: [SomeEntity], migrations: [] });
    expect(options).toMatchObject({
      type: 'postgres',
      url,
      entities: [SomeEntity],
      migrations: [],
      migrationsTableName: 'schema_migrations',
      migrationsTransactionMode: 'all',
      synchronize: false,
      migrationsRun: false,
      logging: ['error'],
      poolSize: 10,
      extra: { application_name: 'idis-test' },
    });
    expect(options).not.toHaveProperty('uuidExtension');
  });

  it('takes a pool size and a UUID extension when given', () => {
    const options = postgresDataSourceOptions(url, { applicationName: 'a', entities: [], migrations: [], uuidExtension: 'pgcrypto' }, { poolSize: 1 });
    expect(options).toMatchObject({ poolSize: 1, uuidExtension: 'pgcrypto' });
  });
});

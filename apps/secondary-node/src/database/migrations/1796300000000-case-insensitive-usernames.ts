import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usernames are unique regardless of case ("tools" and "Tools" are one name), so a sign-in or a
 * grant can never reach a look-alike account.
 *
 * Existing accounts that differ only in case are NOT renamed or merged: either choice would hand
 * one person's sign-in, tokens or grants to another without anyone deciding it. The migration
 * stops instead (its transaction changes nothing) and names every clash with the account ids, so
 * that an operator renames all but one of each and starts the node again.
 */
export class CaseInsensitiveUsernames1796300000000 implements MigrationInterface {
  name = 'CaseInsensitiveUsernames1796300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const clashes: Array<{ accounts: string }> = await queryRunner.query(
      `SELECT string_agg(format('"%s" (id %s, %s)', username, id, role), ', ' ORDER BY created_at, id) AS accounts
         FROM accounts GROUP BY lower(username) HAVING count(*) > 1 ORDER BY lower(username)`,
    );
    if (clashes.length > 0) {
      throw new Error(
        `usernames must be unique regardless of case, but these accounts differ only in case: ${clashes.map((c) => c.accounts).join('; ')}. ` +
          'Nothing was changed. Rename all but one account of each group (UPDATE accounts SET username = \'<new name>\' WHERE id = \'<id>\'), ' +
          'tell the owners their new username, then start the node again.',
      );
    }
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_accounts_username_lower" ON "accounts" (lower("username"))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_accounts_username_lower"`);
  }
}

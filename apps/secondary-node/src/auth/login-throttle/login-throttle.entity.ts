import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Sign-in attempts per username, whether an account of that name exists or not (so a lock says
 * nothing about existence). A row is dropped on a successful sign-in, by an operator's unlock, and
 * once it has been quiet for a lock period.
 */
@Entity({ name: 'login_throttle' })
export class LoginThrottleEntity {
  /** lower(username), as the case-insensitive unique index on accounts compares them. */
  @PrimaryColumn({ name: 'username_key', type: 'varchar', length: 50, primaryKeyConstraintName: 'pk_login_throttle' })
  usernameKey: string;

  /** Failed attempts since the last success, plus those still being checked. */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'last_attempt_at', type: 'timestamptz' })
  lastAttemptAt: Date;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;
}

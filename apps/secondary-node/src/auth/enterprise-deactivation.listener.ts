import { Injectable, type OnModuleInit } from '@nestjs/common';
import { EventHub } from '../events/event-hub';
import type { NodeEvents } from '../events/node-events';
import { AccountRepository } from './account.repository';
import { ApiKeysService } from './api-keys/api-keys.service';
import { Authenticator } from './authenticator';

/**
 * A deactivated enterprise stops acting at once: in the deactivation's own transaction its
 * accounts are disabled (no sign-in), their token versions move on (every token refused, on every
 * replica within AUTH_CACHE_MS) and its API keys are revoked. Either all of it commits with the
 * deactivation or none of it does.
 */
@Injectable()
export class EnterpriseDeactivationListener implements OnModuleInit {
  constructor(
    private readonly events: EventHub,
    private readonly accounts: AccountRepository,
    private readonly apiKeys: ApiKeysService,
    private readonly authenticator: Authenticator,
  ) {}

  onModuleInit(): void {
    this.events.on('enterprise.deactivated', (event) => this.revoke(event));
  }

  private async revoke({ manager, enterpriseId }: NodeEvents['enterprise.deactivated']): Promise<void> {
    const disabled = await this.accounts.disableEnterpriseAccounts(manager, enterpriseId);
    for (const account of disabled) {
      this.authenticator.forgetAccount(account.id);
      await this.events.emit('audit.recorded', {
        manager,
        entry: { action: 'account.disable', target: `account:${account.username}`, owner: enterpriseId, outcome: 'ok', reason: 'enterprise deactivated' },
      });
    }
    await this.apiKeys.revokeAllOf(manager, enterpriseId);
  }
}

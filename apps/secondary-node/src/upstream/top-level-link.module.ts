import { Module } from '@nestjs/common';
import { FilingCheck } from './filing-check';
import { TopLevelLink } from './top-level-link';
import { UpstreamRepository } from './upstream.repository';

/**
 * The top-level client with its credentials, the EPP check, and the outbox table: what the registry (to write
 * filings in its transactions) and resolution (to ask where a foreign prefix lives) need, without
 * the workers of UpstreamModule (which depend on the registry).
 */
@Module({
  providers: [UpstreamRepository, TopLevelLink, FilingCheck],
  exports: [UpstreamRepository, TopLevelLink, FilingCheck],
})
export class TopLevelLinkModule {}

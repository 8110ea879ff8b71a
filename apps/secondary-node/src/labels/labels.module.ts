import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { LabelsController } from './labels.controller';
import { LabelsService } from './labels.service';

/**
 * The printed face of identifiers: QR codes of their proxy URLs and A4 label sheets. It reads the
 * registry (which identifiers the caller may print) and the node's public URL (upstream: the one
 * announced to the top level); nothing imports it but the app.
 */
@Module({
  imports: [RegistryModule, UpstreamModule],
  controllers: [LabelsController],
  providers: [LabelsService],
})
export class LabelsModule {}

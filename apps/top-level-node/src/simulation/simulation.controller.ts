import { Body, Controller, Get, Put, UseGuards } from '@nestjs/common';
import { AdminTokenGuard } from '../http/admin-token.guard';
import { SimulationService } from './simulation.service';

/** The fault knobs applied to every gRPC call: {latencyMs, errorRate (0..1), down}. */
@Controller('api/v1/simulation')
export class SimulationController {
  constructor(private readonly simulation: SimulationService) {}

  @Get()
  get() {
    return this.simulation.current();
  }

  @Put()
  @UseGuards(AdminTokenGuard)
  put(@Body() body: unknown) {
    return this.simulation.update(body);
  }
}

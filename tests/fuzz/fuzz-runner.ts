import type { FuzzCase, HttpCase, MqttCase } from './arbitraries';
import type { FuzzTarget } from './fuzz-target';

/** What a run saw, for the report of `npm run fuzz`. */
export interface FuzzStats {
  cases: number;
  byDoor: Record<string, { cases: number; statuses: Record<string, number> }>;
  /** Cases the HTTP client itself refused to send (a header it cannot encode): not sent, not counted as cases. */
  unsendable: number;
  /** Writes the node accepted (2xx), after which the store fingerprint is taken anew. */
  acceptedWrites: number;
}

const READ_METHODS = new Set(['GET', 'HEAD']);
/** A GET must never write either: checked every this many reads (a fingerprint per read would dominate the run). */
const READ_CHECK_EVERY = 20;

/**
 * Sends fuzz cases to a live node one at a time and checks, after each, the three invariants:
 * never a 5xx (or no answer at all), never a crash of the node process, and never a partial
 * write — a refused request leaves every checked table exactly as it was.
 */
export class FuzzRunner {
  readonly stats: FuzzStats = { cases: 0, byDoor: {}, unsendable: 0, acceptedWrites: 0 };
  private baseline: string | undefined;
  private readsSinceCheck = 0;

  constructor(private readonly target: FuzzTarget) {}

  /** Runs one case; throws an Error describing the case when an invariant breaks. */
  async check(c: FuzzCase): Promise<void> {
    this.baseline ??= await this.target.fingerprint();
    try {
      if (c.kind === 'mqtt') await this.checkMqtt(c);
      else await this.checkHttp(c);
    } catch (error) {
      throw new Error(`${(error as Error).message}\ncase: ${describeCase(c)}`);
    }
    if (!this.target.node.running) throw new Error(`the node exited (${this.target.node.child.exitCode}) after: ${describeCase(c)}\n${this.target.node.output.slice(-3000)}`);
  }

  private async checkHttp(c: HttpCase): Promise<void> {
    let response: Response;
    try {
      response = await fetch(`${this.target.baseUrl}${c.path}`, { method: c.method, headers: c.headers, body: c.body, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      if (error instanceof TypeError && !cause?.code) {
        // undici refused to build the request (e.g. a header value it cannot encode): nothing was sent.
        this.stats.unsendable += 1;
        return;
      }
      if (!this.target.node.running) throw new Error(`the node crashed: ${(error as Error).message}`);
      throw new Error(`no answer: ${(error as Error).message} (${cause?.code ?? 'no code'})`);
    }
    const body = await response.text();
    this.count(c.door, String(response.status));
    if (response.status >= 500) throw new Error(`${response.status} from ${c.method} ${c.path}: ${body.slice(0, 500)}`);
    if (READ_METHODS.has(c.method)) {
      this.readsSinceCheck += 1;
      if (this.readsSinceCheck >= READ_CHECK_EVERY) await this.expectUnchanged('a read');
      return;
    }
    if (response.status >= 400) {
      await this.expectUnchanged(`the refused ${response.status}`);
      return;
    }
    // Accepted: an EPCIS capture goes on in the background; wait for its job, then take the store as it is now.
    if (response.status === 202 && c.path.startsWith('/epcis/capture')) await this.captureFinished(response, c);
    this.stats.acceptedWrites += 1;
    this.baseline = await this.target.fingerprint();
  }

  private async checkMqtt(c: MqttCase): Promise<void> {
    const before = await this.target.ingestionTotals();
    await this.target.publishEvents(this.target.principals.own.prefix, c.payload);
    // The broker acknowledged it; the node has handled it once it acknowledged it in turn (after
    // the transaction that stored or rejected it).
    const deadline = Date.now() + 30_000;
    let after = before;
    while (after.acknowledged === before.acknowledged) {
      if (Date.now() > deadline) throw new Error('the node did not handle the MQTT message within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
      after = await this.target.ingestionTotals();
    }
    const rejected = after.rejected - before.rejected;
    this.count('mqtt', rejected > 0 ? 'rejected' : 'stored');
    if (rejected > 1) throw new Error(`one MQTT message made ${rejected} rejects`);
    if (rejected === 1) await this.expectUnchanged('a rejected MQTT message');
    else {
      this.stats.acceptedWrites += 1;
      this.baseline = await this.target.fingerprint();
    }
  }

  private async expectUnchanged(what: string): Promise<void> {
    this.readsSinceCheck = 0;
    const now = await this.target.fingerprint();
    if (now !== this.baseline) {
      const before = this.baseline;
      this.baseline = now;
      throw new Error(`${what} changed the store:\n before ${before}\n after  ${now}`);
    }
  }

  private async captureFinished(response: Response, c: HttpCase): Promise<void> {
    const location = response.headers.get('location');
    if (!location) return;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const job = await fetch(new URL(location, this.target.baseUrl), { headers: { authorization: c.headers.authorization ?? '' } });
      const text = await job.text();
      if (job.status >= 500) throw new Error(`capture job ${location}: ${job.status} ${text.slice(0, 300)}`);
      if (job.status !== 200 || (JSON.parse(text) as { running?: boolean }).running !== true) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`capture job ${location} did not finish within 30 s`);
  }

  private count(door: string, outcome: string): void {
    this.stats.cases += 1;
    const entry = (this.stats.byDoor[door] ??= { cases: 0, statuses: {} });
    entry.cases += 1;
    entry.statuses[outcome] = (entry.statuses[outcome] ?? 0) + 1;
  }
}

/** The case as a line that can be replayed by hand. */
export function describeCase(c: FuzzCase): string {
  if (c.kind === 'mqtt') return `MQTT publish ${JSON.stringify(c.payload.toString('utf8').slice(0, 400))}`;
  return `${c.method} ${c.path.slice(0, 400)} headers=${JSON.stringify(c.headers).slice(0, 300)} body=${JSON.stringify((c.body ?? '').slice(0, 400))}`;
}

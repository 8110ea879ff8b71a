import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { guardedLookup } from './webhook-target';

/** What the receiver answered, or why nothing came back. */
export type WebhookOutcome = { ok: true; status: number } | { ok: false; reason: string };

/** At most this much of a receiver's answer is read (and thrown away). */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The signature a receiver checks: HMAC-SHA256 under the subscription's secret of
 * `<GS1-Signature-Timestamp>.<body>`, hex, sent as `GS1-Signature: sha256=<hex>`.
 */
export function signatureOf(secret: string, timestamp: string, body: string | Buffer): string {
  // Fed in parts: the body is not copied into one more string.
  return `sha256=${createHmac('sha256', secret).update(timestamp).update('.').update(body).digest('hex')}`;
}

/** Parsed destinations kept (a replica delivers at most a few thousand subscriptions). */
const MAX_PARSED_URLS = 10_000;

/**
 * Posts deliveries with Node's http/https clients (keep-alive agents), resolving host names
 * through guardedLookup so a private address is refused at connect time too. Redirects are not
 * followed: only a 2xx acknowledges.
 */
export class WebhookSender {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly urls = new Map<string, URL>();
  /** Checks the addresses of every new connection (made once: http.request only passes it on). */
  private readonly lookup: ReturnType<typeof guardedLookup>;

  constructor(
    private readonly timeoutMs: number,
    allowPrivate: boolean,
  ) {
    this.lookup = guardedLookup(allowPrivate);
  }

  /**
   * POSTs `body` to `dest`. A keep-alive connection the receiver closed while it sat idle fails the
   * first request written to it (ECONNRESET or "socket hang up", no answer at all): that request is
   * sent once more on a new connection at once, instead of waiting for the delivery's backoff (which
   * grows to minutes after a few of these races). Only then: a request that was answered, timed out,
   * or failed on a new connection is not repeated here.
   */
  async send(dest: string, body: Buffer, headers: Record<string, string>, secret: string): Promise<WebhookOutcome> {
    // Signed, measured and written as these bytes.
    const url = this.parsed(dest);
    const first = await this.post(url, body, headers, secret);
    return first.staleSocket ? this.post(url, body, headers, secret) : first;
  }

  /** The URL of `dest`, parsed once (http.request only reads it). */
  private parsed(dest: string): URL {
    let url = this.urls.get(dest);
    if (!url) {
      url = new URL(dest);
      if (this.urls.size >= MAX_PARSED_URLS) this.urls.clear();
      this.urls.set(dest, url);
    }
    return url;
  }

  private post(url: URL, body: Buffer, headers: Record<string, string>, secret: string): Promise<WebhookOutcome & { staleSocket?: boolean }> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      let answered = false;
      const settle = (outcome: WebhookOutcome & { staleSocket?: boolean }) => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      const request = client.request(
        url,
        {
          method: 'POST',
          agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
          lookup: this.lookup as never,
          // No socket idle timeout as well: the timer below bounds the whole exchange.
          headers: {
            ...headers,
            'content-type': 'application/json; charset=utf-8',
            'content-length': String(body.length),
            'GS1-Signature-Timestamp': timestamp,
            'GS1-Signature': signatureOf(secret, timestamp, body),
          },
        },
        (response) => {
          answered = true;
          let read = 0;
          response.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_ANSWER_BYTES) response.destroy();
          });
          const status = response.statusCode ?? 0;
          const done = () => settle(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, reason: `HTTP ${status}` });
          response.on('end', done);
          response.on('close', done);
          response.on('error', () => done());
        },
      );
      const timer = setTimeout(() => {
        request.destroy(new Error(`no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => {
        const stale = request.reusedSocket && !answered && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        settle({ ok: false, reason: `${error.code ?? 'ERROR'}: ${error.message}`, ...(stale ? { staleSocket: true } : {}) });
      });
      request.on('close', () => clearTimeout(timer));
      request.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

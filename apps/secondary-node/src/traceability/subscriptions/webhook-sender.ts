import { createHmac } from 'node:crypto';
import { type PostOutcome, WebhookHttpClient } from './webhook-http';

/** What the receiver answered, or why nothing came back. */
export type WebhookOutcome = { ok: true; status: number } | { ok: false; reason: string };

/**
 * The signature a receiver checks: HMAC-SHA256 under the subscription's secret of
 * `<GS1-Signature-Timestamp>.<body>`, hex, sent as `GS1-Signature: sha256=<hex>`.
 */
export function signatureOf(secret: string, timestamp: string, body: string | Buffer): string {
  // Fed in parts: the body is not copied into one more string.
  return `sha256=${createHmac('sha256', secret).update(timestamp).update('.').update(body).digest('hex')}`;
}

/**
 * Posts deliveries over kept-alive connections (WebhookHttpClient), resolving host names through
 * guardedLookup so a private address is refused at connect time too. Redirects are not followed:
 * only a 2xx acknowledges.
 */
export class WebhookSender {
  private readonly client: WebhookHttpClient;

  constructor(
    private readonly timeoutMs: number,
    allowPrivate: boolean,
  ) {
    this.client = new WebhookHttpClient(allowPrivate);
  }

  /**
   * POSTs `body` to `dest`. A keep-alive connection the receiver closed while it sat idle fails the
   * first request written to it (before any answer): that request is sent once more on a new
   * connection at once, instead of waiting for the delivery's backoff (which grows to minutes
   * after a few of these races). Only then: a request that was answered, timed out, or failed on a
   * new connection is not repeated here.
   */
  async send(dest: string, body: Buffer, headers: Record<string, string>, secret: string): Promise<WebhookOutcome> {
    const first = await this.post(dest, body, headers, secret);
    if (first.ok || !first.staleSocket) return first;
    const second = await this.post(dest, body, headers, secret, true);
    return second.ok ? second : { ok: false, reason: second.reason };
  }

  private async post(dest: string, body: Buffer, headers: Record<string, string>, secret: string, fresh = false): Promise<PostOutcome> {
    // Signed, measured and written as these bytes.
    const timestamp = String(Math.floor(Date.now() / 1000));
    return this.client.post(
      dest,
      {
        ...headers,
        'Content-Type': 'application/json; charset=utf-8',
        'GS1-Signature-Timestamp': timestamp,
        'GS1-Signature': signatureOf(secret, timestamp, body),
      },
      body,
      this.timeoutMs,
      fresh,
    );
  }

  close(): void {
    this.client.close();
  }
}

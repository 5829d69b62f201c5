import { DependencyUnavailableError, ValidationError } from '@shared/errors/errors';
import type { EventPublisher } from '@shared/queues/event-publisher';

/**
 * The two ways in of SPEC section 3, behind one interface: the typed publisher (straight
 * into BullMQ) and HTTP (POST /api/events, /api/sessions). A failed send says whether it
 * is worth retrying (Redis away, 503, 429, network) or not (the batch is invalid, the key
 * is refused).
 */
export type BatchKind = 'events' | 'sessions';

export type SendOutcome = { ok: true } | { ok: false; retryable: boolean; reason: string; retryAfterMs?: number };

export interface Delivery {
  readonly via: 'publisher' | 'http';
  send(kind: BatchKind, items: object[]): Promise<SendOutcome>;
}

export function publisherDelivery(publisher: EventPublisher): Delivery {
  return {
    via: 'publisher',
    async send(kind, items) {
      try {
        if (kind === 'events') await publisher.publishEvents(items);
        else await publisher.publishSessionCompleted(items);
        return { ok: true };
      } catch (error) {
        if (error instanceof ValidationError) return { ok: false, retryable: false, reason: error.message };
        const reason = error instanceof DependencyUnavailableError ? 'Redis unavailable' : (error as Error).message;
        return { ok: false, retryable: true, reason };
      }
    },
  };
}

/** Retry-After in seconds or as an HTTP date, in milliseconds. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export function httpDelivery(options: { url: string; key?: string; timeoutMs?: number; fetch?: typeof fetch }): Delivery {
  const doFetch = options.fetch ?? fetch;
  return {
    via: 'http',
    async send(kind, items) {
      let response: Response;
      try {
        response = await doFetch(`${options.url}/api/${kind}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(options.key ? { authorization: `Bearer ${options.key}` } : {}) },
          body: JSON.stringify({ [kind]: items }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        return { ok: false, retryable: true, reason: `no answer from ${options.url}${cause ? ` (${cause})` : `: ${(error as Error).message}`}` };
      }
      if (response.status === 202) {
        await response.body?.cancel();
        return { ok: true };
      }
      const text = await response.text().catch(() => '');
      let message = text.slice(0, 200);
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // not JSON: keep the text
      }
      return {
        ok: false,
        retryable: RETRYABLE_STATUS.has(response.status),
        reason: `HTTP ${response.status}${message ? `: ${message}` : ''}`,
        retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      };
    },
  };
}

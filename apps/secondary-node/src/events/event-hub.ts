import { Injectable } from '@nestjs/common';
import type { NodeEvents, NodeSignals } from './node-events';

export type EventListener<K extends keyof NodeEvents> = (payload: NodeEvents[K]) => void | Promise<void>;
export type SignalListener<K extends keyof NodeSignals> = (...args: NodeSignals[K]) => void;

/**
 * The node's typed event hub: capabilities announce what happened and others listen, so that the
 * one that writes never imports the ones that react. Two kinds:
 *
 * - events (`emit`): awaited. Listeners run one after the other in the order they subscribed;
 *   when one fails the others still run and `emit` then rejects with the first failure, so the
 *   emitter fails the request exactly as a direct call would have.
 * - signals (`signal`): synchronous, for hot paths (one per resolution). No promise, no payload
 *   object; a listener must not throw.
 *
 * Listeners subscribe in their constructor or onModuleInit; `on` returns the unsubscribe function.
 */
@Injectable()
export class EventHub {
  private readonly listeners = new Map<keyof NodeEvents, Array<EventListener<keyof NodeEvents>>>();
  private readonly signalListeners = new Map<keyof NodeSignals, Array<SignalListener<keyof NodeSignals>>>();

  on<K extends keyof NodeEvents>(name: K, listener: EventListener<K>): () => void {
    return subscribe(this.listeners, name, listener as EventListener<keyof NodeEvents>);
  }

  onSignal<K extends keyof NodeSignals>(name: K, listener: SignalListener<K>): () => void {
    return subscribe(this.signalListeners, name, listener as unknown as SignalListener<keyof NodeSignals>);
  }

  /** Whether anyone listens to `name` (an emitter may skip building an expensive payload). */
  hasListeners(name: keyof NodeEvents): boolean {
    return (this.listeners.get(name)?.length ?? 0) > 0;
  }

  async emit<K extends keyof NodeEvents>(name: K, payload: NodeEvents[K]): Promise<void> {
    const listeners = this.listeners.get(name);
    if (!listeners) return;
    let failure: { error: unknown } | undefined;
    for (const listener of listeners) {
      try {
        await (listener as EventListener<K>)(payload);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  /** Calls every listener of `name` now. Signals carry at most five arguments (no rest array is allocated). */
  signal<K extends keyof NodeSignals>(name: K, ...args: NodeSignals[K]): void;
  signal(name: keyof NodeSignals, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown): void {
    const listeners = this.signalListeners.get(name) as Array<(a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) => void> | undefined;
    if (!listeners) return;
    for (let i = 0; i < listeners.length; i += 1) listeners[i](a, b, c, d, e);
  }
}

function subscribe<N, L>(table: Map<N, L[]>, name: N, listener: L): () => void {
  // Copy on write: an emit in progress keeps iterating the array it started with.
  table.set(name, [...(table.get(name) ?? []), listener]);
  return () => {
    const current = table.get(name) ?? [];
    table.set(
      name,
      current.filter((l) => l !== listener),
    );
  };
}

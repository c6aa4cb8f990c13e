import { randomUUID } from 'node:crypto';

declare const brand: unique symbol;

/** A nominal type: a `string` that cannot be mixed up with another kind of id. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type UserId = Brand<string, 'UserId'>;
export type SessionId = Brand<string, 'SessionId'>;
export type CustomerId = Brand<string, 'CustomerId'>;
export type AccountId = Brand<string, 'AccountId'>;
export type AgentId = Brand<string, 'AgentId'>;
export type InteractionId = Brand<string, 'InteractionId'>;
export type CallId = Brand<string, 'CallId'>;
export type EventId = Brand<string, 'EventId'>;

/** A fresh random id (UUID v4) of the given brand. */
export function newId<T extends Brand<string, string>>(): T {
  return randomUUID() as T;
}

/** Trusts that `value` is an id of the given brand (for values read back from the store or the wire). */
export function asId<T extends Brand<string, string>>(value: string): T {
  return value as T;
}

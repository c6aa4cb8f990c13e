/**
 * core: the vocabulary every other module speaks — branded ids, money in integer minor units,
 * an injectable clock, the typed event bus, errors with stable codes, and the logger.
 * In: nothing of Teller's (core imports no other module). Out: types and small pure helpers.
 * It never does I/O beyond writing log lines.
 */
export * from './clock';
export * from './errors';
export * from './events';
export * from './ids';
export * from './logger';
export * from './money';

/**
 * The map of every domain event type to its payload. Modules add their events by declaration
 * merging (`declare module '../core/index' { interface DomainEvents { 'x.y': {...} } }`), so an
 * event's shape is written next to the code that publishes it.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each module
export interface DomainEvents {}

import { z } from 'zod';
import { AcdError, issuesToFields } from '../errors';
import { channels, customerTiers, routingStrategies } from '../types';

/**
 * The simulator's scenario file: queues with their traffic, and agent groups with their shifts.
 * Times are seconds from the start of the run (the engine itself works in milliseconds).
 * Documented with examples in docs/acd-scenarios.md.
 */

const seconds = z.number().min(0);
const id = z.string().min(1).max(100);

const handleTimeSchema = z.discriminatedUnion('distribution', [
  z.object({ distribution: z.literal('exponential'), meanSeconds: z.number().positive() }),
  z.object({
    distribution: z.literal('lognormal'),
    meanSeconds: z.number().positive(),
    sdSeconds: z.number().positive(),
  }),
  z.object({ distribution: z.literal('constant'), seconds: z.number().positive() }),
]);

const arrivalsSchema = z.union([
  z.object({ perHour: z.number().min(0) }),
  z.object({
    /** Piecewise-constant Poisson rate: each step holds from `fromSecond` until the next one. */
    profile: z
      .array(z.object({ fromSecond: seconds, perHour: z.number().min(0) }))
      .min(1)
      .refine((steps) => steps[0]!.fromSecond === 0, { message: 'the first step must start at second 0' })
      .refine((steps) => steps.every((step, i) => i === 0 || step.fromSecond > steps[i - 1]!.fromSecond), {
        message: 'steps must come in rising fromSecond',
      }),
  }),
]);

const overflowSchema = z.object({
  afterSeconds: z.number().positive(),
  minProficiency: z.number().int().min(1).max(5).optional(),
  addQueues: z.array(id).default([]),
});

const scenarioQueueSchema = z.object({
  id,
  channel: z.enum(channels).default('voice'),
  skills: z
    .array(z.object({ skill: id, minProficiency: z.number().int().min(1).max(5).default(1) }))
    .default([]),
  serviceLevel: z
    .object({ percent: z.number().min(0).max(100), withinSeconds: seconds })
    .default({ percent: 80, withinSeconds: 20 }),
  priority: z.number().int().default(0),
  priorityAgingPerMinute: z.number().min(0).default(0),
  tierBonus: z.object({ private: z.number(), affluent: z.number(), mass: z.number() }).optional(),
  maxWaitSeconds: z.number().positive().optional(),
  overflow: z.array(overflowSchema).default([]),
  callbackOfferSeconds: seconds.optional(),
  announceEverySeconds: z.number().min(1).optional(),
  wrapUpSeconds: seconds.default(0),
  ringNoAnswerSeconds: seconds.default(0),
  strategy: z.enum(routingStrategies).default('longest-idle'),
  lastAgentWithinSeconds: seconds.default(0),
  arrivals: arrivalsSchema,
  handleTime: handleTimeSchema,
  /** Exponential patience of waiting customers; without it nobody hangs up (Erlang C). */
  patience: z.object({ meanSeconds: z.number().positive() }).optional(),
  /** Probability that a customer offered a callback takes it. */
  callbackAcceptance: z.number().min(0).max(1).default(0),
  /** Mix of customer tiers among arrivals (weights); all mass when absent. */
  tiers: z.partialRecord(z.enum(customerTiers), z.number().min(0)).optional(),
  /** Share of arrivals who are returning customers (for last-agent routing), and how many customers there are. */
  returningCustomers: z
    .object({ share: z.number().min(0).max(1), population: z.number().int().min(1) })
    .optional(),
});

const breakSchema = z.object({
  startSecond: seconds,
  durationSeconds: z.number().positive(),
  reason: z.string().min(1).max(50).default('break'),
});

const shiftSchema = z
  .object({ startSecond: seconds, endSecond: seconds, breaks: z.array(breakSchema).default([]) })
  .refine((shift) => shift.endSecond > shift.startSecond, { message: 'a shift must end after it starts' })
  .refine(
    (shift) =>
      shift.breaks.every(
        (b) => b.startSecond >= shift.startSecond && b.startSecond + b.durationSeconds <= shift.endSecond,
      ),
    { message: 'breaks must fall inside their shift' },
  );

const scenarioAgentGroupSchema = z.object({
  count: z.number().int().min(1).max(100_000),
  idPrefix: z.string().min(1).max(50).default('agent'),
  team: z.string().max(100).optional(),
  skills: z.record(id, z.number().int().min(1).max(5)).default({}),
  capacity: z.partialRecord(z.enum(channels), z.number().int().min(0).max(100)).default({ voice: 1 }),
  /** When absent the group works the whole run without breaks. */
  shifts: z.array(shiftSchema).optional(),
});

export const scenarioSchema = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    durationSeconds: z.number().positive(),
    /** Statistics start after this, once the queues have filled to their steady state. */
    warmupSeconds: seconds.default(0),
    /** How long an agent takes to accept an offer (the phone rings). */
    acceptSeconds: seconds.default(0),
    queues: z.array(scenarioQueueSchema).min(1),
    agents: z.array(scenarioAgentGroupSchema).min(1),
  })
  .superRefine((scenario, ctx) => {
    if (scenario.warmupSeconds >= scenario.durationSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['warmupSeconds'],
        message: 'the warm-up must end before the run does',
      });
    }
    const ids = new Set<string>();
    scenario.queues.forEach((queue, index) => {
      if (ids.has(queue.id))
        ctx.addIssue({ code: 'custom', path: ['queues', index, 'id'], message: 'duplicate queue id' });
      ids.add(queue.id);
    });
    scenario.queues.forEach((queue, index) => {
      queue.overflow.forEach((step, stepIndex) => {
        for (const added of step.addQueues) {
          if (!ids.has(added)) {
            ctx.addIssue({
              code: 'custom',
              path: ['queues', index, 'overflow', stepIndex, 'addQueues'],
              message: `no queue ${added} in the scenario`,
            });
          }
        }
      });
    });
    const prefixes = new Set<string>();
    scenario.agents.forEach((group, index) => {
      if (prefixes.has(group.idPrefix)) {
        ctx.addIssue({ code: 'custom', path: ['agents', index, 'idPrefix'], message: 'duplicate idPrefix' });
      }
      prefixes.add(group.idPrefix);
    });
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioQueue = Scenario['queues'][number];

/** Validates a parsed JSON value as a scenario; ACD_INVALID_SCENARIO names every field at fault. */
export function parseScenario(value: unknown): Scenario {
  const parsed = scenarioSchema.safeParse(value);
  if (!parsed.success) {
    const fields = issuesToFields(parsed.error.issues);
    throw new AcdError(
      'ACD_INVALID_SCENARIO',
      `invalid scenario: ${fields.map((f) => `${f.field || '(root)'}: ${f.message}`).join('; ')}`,
      { fields },
    );
  }
  return parsed.data;
}

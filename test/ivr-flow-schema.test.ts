import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { flowJsonSchema } from '../src/ivr/index';

const file = path.resolve(import.meta.dirname, '..', 'docs', 'ivr-flow.schema.json');

describe('published flow JSON Schema', () => {
  it('docs/ivr-flow.schema.json is the schema generated from the zod definition', () => {
    const generated = flowJsonSchema();
    // IVR_WRITE_SCHEMA=1 regenerates the file after the zod schema changed (biome may reflow it;
    // the comparison is of the JSON, not of its layout).
    if (process.env.IVR_WRITE_SCHEMA === '1') writeFileSync(file, `${JSON.stringify(generated, null, 2)}\n`);
    expect(
      JSON.parse(readFileSync(file, 'utf8')),
      'run: IVR_WRITE_SCHEMA=1 npx vitest run test/ivr-flow-schema.test.ts',
    ).toEqual(generated);
  });

  it('describes every step type and refuses unknown fields', () => {
    const schema = flowJsonSchema() as {
      properties: {
        steps: {
          additionalProperties: { oneOf?: { properties: { type: { const: string } } }[]; anyOf?: unknown[] };
        };
      };
      additionalProperties: boolean;
    };
    const union = schema.properties.steps.additionalProperties;
    const types = (union.oneOf ?? []).map((variant) => variant.properties.type.const);
    expect(types).toContain('authenticate');
    expect(types).toContain('lost-card');
    expect(types).toHaveLength(30);
    expect(schema.additionalProperties).toBe(false);
  });
});

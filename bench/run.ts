/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts, whose default export returns the
 * figures, and prints them as JSON on stdout (progress goes to stderr).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

const [name, ...args] = process.argv.slice(2);
const available = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''));

if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${available.join('|')}> [args]\n`);
  process.exit(2);
}

const module = (await import(path.join(import.meta.dirname, `${name}.ts`))) as {
  default: (args: string[]) => Promise<unknown>;
};
const figures = await module.default(args);
process.stdout.write(
  `${JSON.stringify({ bench: name, at: new Date().toISOString(), node: process.version, figures }, null, 2)}\n`,
);
process.exit(0);

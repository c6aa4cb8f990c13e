import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full);
    return /\.tsx?$/.test(name) ? [full] : [];
  });
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)\s[^;'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|declare module\s+['"]([^'"]+)['"]/g;

/** Every relative import in a file, resolved to a path under the repository. */
function relativeImports(file: string, text: string): { spec: string; target: string }[] {
  const found: { spec: string; target: string }[] = [];
  for (const match of text.matchAll(importPattern)) {
    const spec = match[1] ?? match[2] ?? match[3];
    if (spec?.startsWith('.')) found.push({ spec, target: path.resolve(path.dirname(file), spec) });
  }
  return found;
}

function moduleOf(file: string): string | undefined {
  const rel = path.relative(src, file);
  return rel.startsWith('..') ? undefined : rel.split(path.sep)[0];
}

/** The broken rules in a set of files: imports across modules that bypass index.ts, and core importing ours. */
function violations(files: { file: string; text: string }[]): string[] {
  const found: string[] = [];
  for (const { file, text } of files) {
    const from = moduleOf(file);
    for (const { spec, target } of relativeImports(file, text)) {
      const to = moduleOf(target);
      if (to === undefined || to === from) continue;
      const where = `${path.relative(root, file)} imports '${spec}'`;
      if (from === 'core') found.push(`${where}: core imports nothing of Teller's`);
      else if (path.relative(path.join(src, to), target) !== 'index')
        found.push(`${where}: import ${to} through its index.ts`);
    }
  }
  return found;
}

describe('module boundaries', () => {
  it('modules import each other only through index.ts, and core imports none of ours', () => {
    const files = [
      ...filesUnder(src),
      ...filesUnder(path.join(root, 'test')),
      ...filesUnder(path.join(root, 'bench')),
    ];
    expect(violations(files.map((file) => ({ file, text: readFileSync(file, 'utf8') })))).toEqual([]);
  });

  it('every module has an index.ts that opens with a description', () => {
    for (const name of readdirSync(src)) {
      const index = path.join(src, name, 'index.ts');
      expect(() => statSync(index), `${name} has no index.ts`).not.toThrow();
      expect(
        readFileSync(index, 'utf8').trimStart().startsWith('/**'),
        `${name}/index.ts opens with a doc comment`,
      ).toBe(true);
    }
  });

  it('the checker itself catches a deep import and a core import', () => {
    const probes = [
      { file: path.join(src, 'api', 'probe.ts'), text: "import { openStore } from '../store/store';\n" },
      { file: path.join(src, 'core', 'probe.ts'), text: "export { loadConfig } from '../config/index';\n" },
      { file: path.join(src, 'api', 'fine.ts'), text: "import type { Store } from '../store/index';\n" },
    ];
    expect(violations(probes)).toEqual([
      "src/api/probe.ts imports '../store/store': import store through its index.ts",
      "src/core/probe.ts imports '../config/index': core imports nothing of Teller's",
    ]);
  });
});

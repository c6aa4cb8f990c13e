#!/usr/bin/env node
// The pretest step: makes sure the Debian packages the tests use are on the machine.
// As root it installs what is missing (apt-get update first); otherwise it names the
// packages and fails, so `npm test` never half-runs. The list is scripts/system-packages.json.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const { packages } = JSON.parse(readFileSync(new URL('./system-packages.json', import.meta.url), 'utf8'));
const missing = Object.entries(packages)
  .filter(([, marker]) => !existsSync(marker))
  .map(([name]) => name);

if (missing.length === 0) process.exit(0);

const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  process.stderr.write(
    `The tests need these Debian packages, which are not installed: ${missing.join(' ')}\n` +
      `Install them with: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}\n`,
  );
  process.exit(1);
}

process.stderr.write(`Installing Debian packages the tests need: ${missing.join(' ')}\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const run = (args) => {
  const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (result.status !== 0) {
    process.stderr.write(`apt-get ${args.join(' ')} failed with exit code ${result.status}\n`);
    process.exit(1);
  }
};
run(['update']);
run(['install', '-y', '--no-install-recommends', ...missing]);
const still = Object.entries(packages).filter(([, marker]) => !existsSync(marker));
if (still.length > 0) {
  process.stderr.write(`still missing after install: ${still.map(([n]) => n).join(' ')}\n`);
  process.exit(1);
}

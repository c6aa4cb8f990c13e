#!/usr/bin/env node
/**
 * Builds the native RTP I/O addon (native/rtpio/rtpio.c, ADR 016) into build/native/rtpio.node
 * with the system C compiler and Node's own headers — no node-gyp, no downloaded headers.
 * Without a compiler or headers (or off Linux) it builds nothing and exits 0: the media workers
 * then use Node's dgram sockets, as they did before the addon.
 *
 *   node scripts/build-native.mjs
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const source = path.join(root, 'native', 'rtpio', 'rtpio.c');
const output = path.join(root, 'build', 'native', 'rtpio.node');

function skip(reason) {
  // An addon left from an earlier build would still be loaded: remove it, so that what this says holds.
  rmSync(output, { force: true });
  console.log(`build-native: ${reason}; not building rtpio.node (the media workers use dgram)`);
  process.exit(0);
}

if (process.platform !== 'linux') skip(`platform ${process.platform} is not Linux (epoll, recvmmsg)`);
const compiler = process.env.CC ?? 'cc';
if (spawnSync(compiler, ['--version'], { stdio: 'ignore' }).status !== 0) skip(`no C compiler (${compiler})`);

// Node's headers: next to this node binary (…/bin/node → …/include/node), else the system's.
const candidates = [
  path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
];
const headers = candidates.find((dir) => existsSync(path.join(dir, 'node_api.h')));
if (!headers) skip(`no node_api.h in ${candidates.join(', ')}`);

mkdirSync(path.dirname(output), { recursive: true });
const args = [
  '-O2',
  '-shared',
  '-fPIC',
  '-Wall',
  '-Wextra',
  '-std=gnu11',
  `-I${headers}`,
  '-o',
  output,
  source,
];
try {
  execFileSync(compiler, args, { stdio: 'inherit' });
} catch {
  rmSync(output, { force: true });
  console.error(`build-native: ${compiler} ${args.join(' ')} failed`);
  process.exit(1);
}
console.log(`build-native: built ${path.relative(root, output)} (headers ${headers})`);

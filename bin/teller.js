#!/usr/bin/env -S node --single-threaded-gc
// --single-threaded-gc: the media workers run on realtime scheduling, and V8's parallel GC helper
// threads (normal scheduling, shared by every isolate) made their collections take 50–400 ms (ADR 017).
// Runs Teller's TypeScript sources directly through tsx (no build step); see docs/adr/001-runtime.md.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/index.ts');

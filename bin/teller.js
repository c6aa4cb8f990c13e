#!/usr/bin/env node
// Runs Teller's TypeScript sources directly through tsx (no build step); see docs/adr/001-runtime.md.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/index.ts');

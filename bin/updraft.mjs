#!/usr/bin/env node
// The `updraft` command: TypeScript runs through tsx, no build step.
await import('../engine/runtime/register.mjs');
await import('../engine/cli/main.ts');

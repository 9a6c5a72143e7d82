#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader: one source tree for Playwright Test and the runner.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

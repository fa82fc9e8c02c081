#!/usr/bin/env node
// The installed command: runs the TypeScript entry through tsx's loader (a runtime dependency),
// so a clone works with `npm ci` alone, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../agent/main.ts');

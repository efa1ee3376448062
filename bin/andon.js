#!/usr/bin/env node
// The andon command; the code is compiled to dist/ by `npm run build` (run by `npm ci`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));

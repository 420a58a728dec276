/**
 * How the Chromium suite starts Chromium (Debian's, no sandbox in this container): one place for
 * the browser project's shared browser (global-setup.ts), a file run on its own, and the grader
 * page's unit test. The path and flags are the benches' (bench/site.ts), so a test and a bench
 * measure the same browser.
 */
import type { LaunchOptions } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../bench/site.ts';

export const CHROMIUM_LAUNCH: LaunchOptions = { executablePath: CHROMIUM, args: CHROMIUM_ARGS };

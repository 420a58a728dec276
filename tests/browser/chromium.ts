/**
 * How the Chromium suite starts Chromium (Debian's, no sandbox in this container): one place for
 * the browser project's shared browser (global-setup.ts) and for a file run on its own.
 */
import type { LaunchOptions } from 'playwright-core';

export const CHROMIUM_LAUNCH: LaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/**
 * Bench: Lighthouse (mobile preset: simulated slow 4G, 4× CPU slowdown, 412-px phone) on the
 * heaviest chapter page that embeds an exercise. Budgets: performance ≥ 95, accessibility = 100.
 * Debian's Chromium is started here with --remote-debugging-port and Lighthouse attaches to it
 * (no chrome-launcher). Median of 3 runs for performance (it varies), accessibility from the same runs.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lighthouse from 'lighthouse';
import type { BenchResult } from './run.ts';
import { pageWeight } from '../tests/browser/page-weight.ts';
import { CHROMIUM, CHROMIUM_ARGS, ensureBuild, exercisePages, median, serve, urlPath } from './site.ts';

const RUNS = 3;

async function startChromium(): Promise<{ port: number; stop(): void }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-lh-'));
  const child = spawn(CHROMIUM, [...CHROMIUM_ARGS, '--headless=new', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`Chromium did not open a DevTools port: ${buf.slice(-300)}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (c) => reject(new Error(`Chromium exited (${c}): ${buf.slice(-300)}`)));
  });
  return {
    port,
    stop() {
      child.kill('SIGTERM');
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }); // Chromium may still be writing the profile right after SIGTERM (ENOTEMPTY)
    },
  };
}

export async function run(): Promise<BenchResult[]> {
  const { dir } = await ensureBuild();
  const pages = exercisePages(dir);
  if (!pages.length) throw new Error('no built page embeds an exercise');
  const heaviest = pages.map((p) => pageWeight(dir, p)).sort((a, b) => b.total - a.total)[0]!.page;
  const server = await serve(dir);
  const chrome = await startChromium();
  const perf: number[] = [];
  const a11y: number[] = [];
  const metrics: Record<string, number>[] = [];
  let failedA11y: string[] = [];
  let slowest: string[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const r = await lighthouse(`${server.base}${urlPath(heaviest)}`, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility'] });
      if (!r) throw new Error('lighthouse returned nothing');
      const lhr = r.lhr;
      if (lhr.runtimeError) throw new Error(`lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
      perf.push(Math.round((lhr.categories.performance?.score ?? 0) * 100));
      a11y.push(Math.round((lhr.categories.accessibility?.score ?? 0) * 100));
      const n = (id: string) => Math.round(Number(lhr.audits[id]?.numericValue ?? NaN));
      metrics.push({ fcp_ms: n('first-contentful-paint'), lcp_ms: n('largest-contentful-paint'), tbt_ms: n('total-blocking-time'), cls_x1000: Math.round(Number(lhr.audits['cumulative-layout-shift']?.numericValue ?? 0) * 1000) });
      slowest = (lhr.categories.performance?.auditRefs ?? [])
        .map((ref) => lhr.audits[ref.id])
        .filter((a) => a && a.score !== null && a.score < 0.9 && a.displayValue)
        .map((a) => `${a!.id}: ${a!.displayValue}`);
      failedA11y = (lhr.categories.accessibility?.auditRefs ?? [])
        .filter((ref) => ref.weight > 0 && (lhr.audits[ref.id]?.score ?? 1) < 1)
        .map((ref) => ref.id);
    }
  } finally {
    chrome.stop();
    await server.close();
  }
  const page = urlPath(heaviest);
  return [
    { name: 'lighthouse-performance', value: median(perf), unit: 'score', budget: 95, better: 'higher', details: { page, runs: perf, metrics, below_0_9: slowest, preset: 'mobile (default config)' } },
    { name: 'lighthouse-accessibility', value: Math.min(...a11y), unit: 'score', budget: 100, better: 'higher', details: { page, runs: a11y, failing_audits: failedA11y } },
  ];
}

/**
 * handout-pdf — print the lab handout page (content/appendix/handout.mdx) to a PDF with Chromium,
 * using the site's print stylesheet.
 *
 *   npm run build                      # once: the PDF is made from the built site (dist/)
 *   npx node scripts/handout-pdf.ts    # → dist/collapse-lab-handout.pdf
 *
 * options:
 *   --out <file>        where to write the PDF (default dist/collapse-lab-handout.pdf)
 *   --url <url>         print this URL instead of serving dist/ (e.g. a running `npm run preview`:
 *                       --url http://localhost:4321/appendix/handout/)
 *   --dist <dir>        the built site to serve (default dist/)
 *   --chromium <path>   the Chromium binary (default $CHROMIUM or /usr/bin/chromium)
 *   --via playwright|cli
 *                       playwright (default): playwright-core drives Chromium and calls page.pdf()
 *                       (A4, backgrounds, print media); cli: `chromium --headless --print-to-pdf=…`
 *
 * Without --url the script serves dist/ itself on 127.0.0.1 (a minimal static server, equivalent to
 * `astro preview` for a static build) and stops it afterwards. Exit status: 0 PDF written,
 * 2 Chromium missing / site not built / page not found, 1 anything else. It prints what it measured:
 * pages, bytes and time.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, extname, join, normalize, resolve, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HANDOUT_PATH = '/appendix/handout/';

class SetupError extends Error {}

interface Options {
  out: string;
  url?: string;
  dist: string;
  chromium: string;
  via: 'playwright' | 'cli';
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    out: join(ROOT, 'dist', 'collapse-lab-handout.pdf'),
    dist: join(ROOT, 'dist'),
    chromium: process.env.CHROMIUM || '/usr/bin/chromium',
    via: 'playwright',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new SetupError(`${a} needs a value`);
      return x;
    };
    if (a === '--out') o.out = resolve(v());
    else if (a === '--url') o.url = v();
    else if (a === '--dist') o.dist = resolve(v());
    else if (a === '--chromium') o.chromium = resolve(v());
    else if (a === '--via') {
      const x = v();
      if (x !== 'playwright' && x !== 'cli') throw new SetupError(`--via must be playwright or cli (got '${x}')`);
      o.via = x;
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?|^ \* ?/gm, '') + '\n');
      process.exit(0);
    } else throw new SetupError(`unknown option '${a}' (see --help)`);
  }
  return o;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.wasm': 'application/wasm',
};

/** Serve a static build directory the way `astro preview` does for a static site. */
function serve(dist: string): Promise<{ server: Server; base: string }> {
  const root = resolve(dist);
  const server = createServer((req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let p = normalize(join(root, decodeURIComponent(url.pathname)));
      if (p !== root && !p.startsWith(root + sep)) {
        res.writeHead(403).end();
        return;
      }
      if (existsSync(p) && statSync(p).isDirectory()) p = join(p, 'index.html');
      if (!existsSync(p) && existsSync(p + '.html')) p += '.html';
      if (!existsSync(p)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(p)] ?? 'application/octet-stream' });
      res.end(readFileSync(p));
    } catch {
      res.writeHead(500).end();
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      ok({ server, base: `http://127.0.0.1:${port}` });
    });
  });
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function viaPlaywright(o: Options, url: string): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: o.chromium, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const resp = await page.goto(url, { waitUntil: 'networkidle', timeout: 30_000 });
    if (!resp || !resp.ok()) throw new SetupError(`the handout page answered ${resp ? resp.status() : 'nothing'} at ${url}`);
    await page.emulateMedia({ media: 'print' });
    await page.pdf({
      path: o.out,
      format: 'A4',
      printBackground: true,
      preferCSSPageSize: true, // the print stylesheet's @page margins win
      displayHeaderFooter: false,
    });
  } finally {
    await browser.close();
  }
}

function viaCli(o: Options, url: string): Promise<void> {
  const args = ['--headless', ...CHROMIUM_ARGS, '--no-pdf-header-footer', `--print-to-pdf=${o.out}`, url];
  return new Promise((ok, fail) => {
    const child = spawn(o.chromium, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0 && existsSync(o.out)) ok();
      else fail(new Error(`chromium exited with ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/** Count the pages of a PDF (objects of /Type /Page, not /Pages). Good enough for Chromium's output. */
function pdfPages(file: string): number {
  const text = readFileSync(file).toString('latin1');
  return (text.match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(o.chromium)) {
    throw new SetupError(
      `Chromium is missing: ${o.chromium} does not exist. Install it (apt-get install -y chromium) ` +
        `or pass --chromium <path> / set CHROMIUM. No PDF was written.`,
    );
  }
  let server: Server | undefined;
  let url = o.url;
  if (!url) {
    const page = join(o.dist, 'appendix', 'handout', 'index.html');
    if (!existsSync(page)) {
      throw new SetupError(`the site is not built: ${relative(ROOT, page) || page} is missing. Run \`npm run build\` first (or pass --url).`);
    }
    const s = await serve(o.dist);
    server = s.server;
    url = s.base + HANDOUT_PATH;
  }
  mkdirSync(dirname(o.out), { recursive: true });
  const t0 = performance.now();
  try {
    if (o.via === 'playwright') await viaPlaywright(o, url);
    else await viaCli(o, url);
  } finally {
    server?.close();
  }
  const ms = Math.round(performance.now() - t0);
  const bytes = statSync(o.out).size;
  const pages = pdfPages(o.out);
  process.stdout.write(
    `wrote ${relative(process.cwd(), o.out) || o.out}: ${pages} page${pages === 1 ? '' : 's'}, ${(bytes / 1024).toFixed(1)} KiB, ` +
      `${ms} ms (${o.via}, ${o.chromium}, ${url})\n`,
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`handout-pdf: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = e instanceof SetupError ? 2 : 1;
  },
);

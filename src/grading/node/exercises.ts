/** Finding exercises on disk (exercises/<id>/exercise.json + <id>.test.ts) for Node grading. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXPORT_KINDS, type ExerciseMeta, type ExportKind, type TestSource } from '../types.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const DEFAULT_EXERCISES_DIR = join(REPO_ROOT, 'exercises');

export interface ExerciseOnDisk {
  meta: ExerciseMeta;
  dir: string;
  tests: TestSource[];
}

export class GradeSetupError extends Error {}

/** Ids of every folder in `dir` that has an exercise.json, sorted. */
export function listExerciseIds(dir = DEFAULT_EXERCISES_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && !name.startsWith('_'))
    .filter((name) => existsSync(join(dir, name, 'exercise.json')))
    .sort();
}

/** Validate an exercise.json object; throws GradeSetupError saying what is wrong. */
export function parseExerciseMeta(raw: unknown, where: string): ExerciseMeta {
  const o = raw as Record<string, unknown>;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new GradeSetupError(`${where}: not a JSON object`);
  for (const k of ['id', 'title', 'chapter', 'summary'] as const) {
    if (typeof o[k] !== 'string') throw new GradeSetupError(`${where}: "${k}" must be a string`);
  }
  if (!Array.isArray(o.exports) || o.exports.length === 0 || !o.exports.every((e) => typeof e === 'string')) {
    throw new GradeSetupError(`${where}: "exports" must be a non-empty array of names`);
  }
  const exports = o.exports as string[];
  let exportKinds: Record<string, ExportKind> | undefined;
  if (o.exportKinds !== undefined) {
    const k = o.exportKinds as Record<string, unknown>;
    if (!k || typeof k !== 'object' || Array.isArray(k)) throw new GradeSetupError(`${where}: "exportKinds" must be an object mapping export names to kinds`);
    for (const [name, kind] of Object.entries(k)) {
      if (!exports.includes(name)) throw new GradeSetupError(`${where}: "exportKinds" names \`${name}\`, which is not in "exports"`);
      if (!EXPORT_KINDS.includes(kind as ExportKind)) throw new GradeSetupError(`${where}: "exportKinds.${name}" must be one of ${EXPORT_KINDS.join(', ')}`);
    }
    exportKinds = k as Record<string, ExportKind>;
  }
  return { id: o.id as string, title: o.title as string, chapter: o.chapter as string, exports, ...(exportKinds ? { exportKinds } : {}), summary: o.summary as string };
}

export function loadExercise(id: string, dir = DEFAULT_EXERCISES_DIR): ExerciseOnDisk {
  const folder = join(dir, id);
  const metaPath = join(folder, 'exercise.json');
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(id) || !existsSync(metaPath)) {
    const known = listExerciseIds(dir);
    throw new GradeSetupError(`unknown exercise '${id}'. Known exercises: ${known.length ? known.join(', ') : `(none found in ${dir})`}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(metaPath, 'utf8'));
  } catch (e) {
    throw new GradeSetupError(`${metaPath}: ${(e as Error).message}`);
  }
  const meta = parseExerciseMeta(raw, metaPath);
  const own = join(folder, `${id}.test.ts`);
  const files = existsSync(own)
    ? [own]
    : readdirSync(folder).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(folder, f));
  if (files.length === 0) throw new GradeSetupError(`exercise '${id}' has no test file (${own})`);
  return { meta, dir: folder, tests: files.map((f) => ({ file: basename(f), source: readFileSync(f, 'utf8') })) };
}

/**
 * Instructor tests for exercise `id` from `extraDir`: every `<extraDir>/<id>/*.test.ts`, plus the
 * top-level `<extraDir>/*.test.ts` — all of them when grading one exercise (`single`), otherwise
 * only those named `<id>.test.ts` or `<id>.<anything>.test.ts`.
 */
export function loadExtraTests(extraDir: string, id: string, single: boolean): TestSource[] {
  if (!existsSync(extraDir) || !statSync(extraDir).isDirectory()) {
    throw new GradeSetupError(`--extra-tests: ${extraDir} is not a directory`);
  }
  const out: TestSource[] = [];
  const sub = join(extraDir, id);
  if (existsSync(sub) && statSync(sub).isDirectory()) {
    for (const f of readdirSync(sub).filter((f) => f.endsWith('.test.ts')).sort()) {
      out.push({ file: `${id}/${f}`, source: readFileSync(join(sub, f), 'utf8'), prefixNames: true });
    }
  }
  for (const f of readdirSync(extraDir).filter((f) => f.endsWith('.test.ts')).sort()) {
    if (!statSync(join(extraDir, f)).isFile()) continue;
    if (single || f === `${id}.test.ts` || f.startsWith(`${id}.`)) {
      out.push({ file: f, source: readFileSync(join(extraDir, f), 'utf8'), prefixNames: true });
    }
  }
  return out;
}

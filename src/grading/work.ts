/**
 * "Export my work" file format, read by `grade --work` (written by the site's progress page):
 *
 *   { "format": "collapse-lab-work", "version": 1, "course": "<package version>", "exportedAt": ISO,
 *     "exercises": { "<id>": { "code": string, "savedAt": ISO, "passed"?: boolean, "starterHash"?: string } } }
 *
 * `parseWork` accepts exactly this and throws a WorkFormatError saying what is wrong otherwise.
 */

export interface WorkExercise {
  code: string;
  savedAt: string;
  passed?: boolean;
  starterHash?: string;
}

export interface Work {
  format: 'collapse-lab-work';
  version: 1;
  course: string;
  exportedAt: string;
  exercises: Record<string, WorkExercise>;
}

export class WorkFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkFormatError';
  }
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const ID = /^[a-z0-9][a-z0-9-]*$/;
// `progress` (optional): chapters read and quizzes answered, written by the site's progress page
// (src/lib/course-progress.ts) and read back only there; grading ignores it.
const TOP_KEYS = ['format', 'version', 'course', 'exportedAt', 'exercises', 'progress'];
const ENTRY_KEYS = ['code', 'savedAt', 'passed', 'starterHash'];

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isIso = (v: unknown): v is string => typeof v === 'string' && ISO.test(v) && !Number.isNaN(Date.parse(v));

/** Parse an exported-work file (a JSON string or an already-parsed value). */
export function parseWork(json: unknown): Work {
  let v: unknown = json;
  if (typeof json === 'string') {
    try {
      v = JSON.parse(json);
    } catch (e) {
      throw new WorkFormatError(`not a collapse-lab work export: the file is not valid JSON (${(e as Error).message})`);
    }
  }
  const fail = (why: string): never => {
    throw new WorkFormatError(`not a valid collapse-lab work export: ${why}`);
  };
  if (!isPlainObject(v)) return fail('expected a JSON object at the top level');
  if (v.format !== 'collapse-lab-work') return fail(`"format" must be "collapse-lab-work" (found ${JSON.stringify(v.format)})`);
  if (v.version !== 1) return fail(`"version" must be 1 (found ${JSON.stringify(v.version)}); this grader reads version 1 only`);
  if (typeof v.course !== 'string' || v.course === '') return fail('"course" must be the course version string');
  if (!isIso(v.exportedAt)) return fail(`"exportedAt" must be an ISO 8601 date-time (found ${JSON.stringify(v.exportedAt)})`);
  const extra = Object.keys(v).filter((k) => !TOP_KEYS.includes(k));
  if (extra.length) return fail(`unexpected field(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
  if (!isPlainObject(v.exercises)) return fail('"exercises" must be an object keyed by exercise id');
  const exercises: Record<string, WorkExercise> = {};
  for (const [id, e] of Object.entries(v.exercises)) {
    const at = `exercises[${JSON.stringify(id)}]`;
    if (!ID.test(id)) fail(`${at}: not an exercise id (lowercase letters, digits and dashes)`);
    if (!isPlainObject(e)) return fail(`${at} must be an object`);
    if (typeof e.code !== 'string') fail(`${at}.code must be a string`);
    if (!isIso(e.savedAt)) fail(`${at}.savedAt must be an ISO 8601 date-time`);
    if (e.passed !== undefined && typeof e.passed !== 'boolean') fail(`${at}.passed must be true or false when present`);
    if (e.starterHash !== undefined && typeof e.starterHash !== 'string') fail(`${at}.starterHash must be a string when present`);
    const bad = Object.keys(e).filter((k) => !ENTRY_KEYS.includes(k));
    if (bad.length) fail(`${at}: unexpected field(s) ${bad.map((k) => JSON.stringify(k)).join(', ')}`);
    exercises[id] = {
      code: e.code as string,
      savedAt: e.savedAt as string,
      ...(e.passed !== undefined ? { passed: e.passed as boolean } : {}),
      ...(e.starterHash !== undefined ? { starterHash: e.starterHash as string } : {}),
    };
  }
  return { format: 'collapse-lab-work', version: 1, course: v.course, exportedAt: v.exportedAt, exercises };
}

/** Build an export (what the site's "Export my work" writes); round-trips through parseWork. */
export function makeWork(course: string, exercises: Record<string, WorkExercise>, exportedAt = new Date().toISOString()): Work {
  return parseWork({ format: 'collapse-lab-work', version: 1, course, exportedAt, exercises });
}

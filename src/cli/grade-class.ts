/**
 * Temporary entry for the class-scale commands until `grade` wires them (`grade --class <dir>`,
 * `--from-gradescope`, `--seed`): node src/cli/grade-class.ts --class <dir> … — see
 * src/grading/class/index.ts (CLASS_USAGE) for the options.
 */
import { classMain } from '../grading/class/index.ts';

// `… | head` closes the pipe early: stop quietly instead of printing an EPIPE stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await classMain(process.argv.slice(2));

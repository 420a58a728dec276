/**
 * `expect` for exercise tests, built exactly like Vitest builds its own: chai + the
 * @vitest/expect plugins (JestChaiExpect, JestAsymmetricMatchers, JestExtend, ChaiStyleAssertions).
 * No hand-written matchers, so `toBe`, `toEqual`, `toThrow`, `expect.any(...)`… behave and
 * word their failures the way `vitest run` does.
 */
import * as chai from 'chai';
import {
  ASYMMETRIC_MATCHERS_OBJECT,
  ChaiStyleAssertions,
  GLOBAL_EXPECT,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  getState,
  setState,
} from '@vitest/expect';

let installed = false;

/**
 * Install the @vitest/expect plugins on chai (once per realm). {@link sealRealm} calls this before
 * it freezes chai's Assertion prototype; afterwards no matcher can be added or replaced.
 */
export function installMatchers(): void {
  if (installed) return;
  installed = true;
  chai.use(JestExtend);
  chai.use(JestChaiExpect);
  chai.use(ChaiStyleAssertions);
  chai.use(JestAsymmetricMatchers);
}

export type RuntimeExpect = ((value: unknown, message?: string) => any) & Record<string, any>;

/**
 * Create the runtime's `expect` (call once per worker, before any learner code runs).
 * `setGlobal` registers it as the start realm's global expect (@vitest/expect's asymmetric
 * matchers read their context from there). Learner and test code run in ses Compartments with
 * their own global objects (runtime/realm.ts), so nothing they can name reaches that symbol.
 */
export function createExpect(setGlobal = true): RuntimeExpect {
  installMatchers();
  const expect = ((value: unknown, message?: string) => {
    const { assertionCalls } = getState(expect as never) as { assertionCalls: number };
    setState({ assertionCalls: assertionCalls + 1 }, expect as never);
    return chai.expect(value, message);
  }) as RuntimeExpect;
  Object.assign(expect, chai.expect);
  Object.assign(expect, (globalThis as any)[ASYMMETRIC_MATCHERS_OBJECT]);
  expect.getState = () => getState(expect as never);
  expect.setState = (state: object) => setState(state, expect as never);
  setState(
    {
      assertionCalls: 0,
      isExpectingAssertions: false,
      isExpectingAssertionsError: null,
      expectedAssertionsNumber: null,
      expectedAssertionsNumberErrorGen: null,
      currentTestName: '',
      testPath: 'exercise.test.ts',
    },
    expect as never,
  );
  expect.assert = chai.assert;
  expect.extend = (matchers: Record<string, unknown>) => (chai.expect as any).extend(expect, matchers);
  expect.unreachable = (message?: string) => {
    chai.assert.fail(`expected${message ? ` "${message}" ` : ' '}not to be reached`);
  };
  expect.soft = (value: unknown, message?: string) => expect(value, message);
  if (setGlobal) (globalThis as any)[GLOBAL_EXPECT] = expect;
  return expect;
}

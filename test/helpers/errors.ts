// The one way tests expect a failure: the promise (or call) fails with a CmdaiError, which is
// returned so the test can check its code and message.
import { CmdaiError } from '../../lib/errors';

export async function expectCmdaiError(work: Promise<unknown> | (() => unknown)): Promise<CmdaiError> {
  let error: unknown;
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (caught) {
    error = caught;
  }
  if (error === undefined) throw new Error('expected a CmdaiError, but it succeeded');
  expect(error).toBeInstanceOf(CmdaiError);
  return error as CmdaiError;
}

// Waiting between HTTP attempts, shared by downloads and remote backends: Retry-After, backoff
// with jitter, and a sleep that an abort ends at once.
import { backoffDelay, parseRetryAfter, retryDelay, sleep } from '../../lib/http/retry';

describe('Retry-After', () => {
  test('a number of seconds becomes milliseconds', () => {
    expect(parseRetryAfter('3')).toBe(3_000);
    expect(parseRetryAfter(' 0.5 ')).toBe(500);
  });

  test('an HTTP date becomes the time left until it', () => {
    const now = Date.parse('Fri, 27 Nov 2026 14:00:00 GMT');
    expect(parseRetryAfter('Fri, 27 Nov 2026 14:00:07 GMT', now)).toBe(7_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 13:59:00 GMT', now)).toBe(0);
  });

  test('a missing or unreadable header means no Retry-After', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('backoff', () => {
  test('each attempt waits between half and all of a ceiling that doubles, capped at 8 s', () => {
    for (let i = 0; i < 200; i++) {
      const first = backoffDelay(0, 250, 8_000);
      const third = backoffDelay(2, 250, 8_000);
      const late = backoffDelay(10, 250, 8_000);
      expect(first).toBeGreaterThanOrEqual(125);
      expect(first).toBeLessThanOrEqual(250);
      expect(third).toBeGreaterThanOrEqual(500);
      expect(third).toBeLessThanOrEqual(1_000);
      expect(late).toBeGreaterThanOrEqual(4_000);
      expect(late).toBeLessThanOrEqual(8_000);
    }
  });

  test('the jitter spreads the delays out', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(3, 250, 8_000)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('the wait before the next attempt', () => {
  const policy = { retryBaseDelayMs: 100, maxBackoffMs: 1_000, maxRetryAfterMs: 5_000 };

  test('is the backoff when the server sent no Retry-After', () => {
    const delay = retryDelay(0, policy);
    expect(delay).toBeGreaterThanOrEqual(50);
    expect(delay).toBeLessThanOrEqual(100);
  });

  test('is the Retry-After when that is longer than the backoff', () => {
    expect(retryDelay(0, policy, 3_000)).toBe(3_000);
  });

  test('is undefined (give up) when the Retry-After is longer than the caller waits', () => {
    expect(retryDelay(0, policy, 6_000)).toBeUndefined();
  });
});

describe('sleep', () => {
  test('resolves after the time', async () => {
    const started = Date.now();
    await sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  test('rejects with an AbortError as soon as the signal fires', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('rejects at once when the signal has already fired', async () => {
    await expect(sleep(60_000, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });
});

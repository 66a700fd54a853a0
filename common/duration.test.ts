import test from 'ava';
import { ValidationError } from './errors.js';
import { formatBytes, formatDuration, parseDuration, parseSize } from './duration.js';

test('parses durations with units', (t) => {
  t.is(parseDuration('f', '250ms'), 250);
  t.is(parseDuration('f', '30s'), 30_000);
  t.is(parseDuration('f', '1h30m'), 5_400_000);
  t.is(parseDuration('f', '1.5s'), 1_500);
  t.is(parseDuration('f', '2d'), 172_800_000);
});

test('refuses bad durations, naming the field', (t) => {
  t.throws(() => parseDuration('--timeout', '-5s'), { instanceOf: ValidationError, message: '--timeout: must not be negative, got "-5s"' });
  t.throws(() => parseDuration('--timeout', '10'), { message: '--timeout: "10" is not a duration (e.g. 30s, 5m, 1h30m, 250ms)' });
  t.throws(() => parseDuration('--timeout', ''), { message: '--timeout: must not be empty (e.g. 30s, 5m, 1h30m)' });
  t.throws(() => parseDuration('--timeout', '5 minutes'), { instanceOf: ValidationError });
});

test('parses sizes as Docker does', (t) => {
  t.is(parseSize('f', '512m'), 512 * 1024 ** 2);
  t.is(parseSize('f', '2g'), 2 * 1024 ** 3);
  t.is(parseSize('f', '1GiB'), 1024 ** 3);
  t.is(parseSize('f', '1GB'), 1e9);
  t.is(parseSize('f', '4096'), 4096);
  t.throws(() => parseSize('--memory', 'lots'), { message: '--memory: "lots" is not a size (e.g. 512m, 2g, 1GiB)' });
  t.throws(() => parseSize('--memory', '-1m'), { instanceOf: ValidationError });
});

test('formats for people', (t) => {
  t.is(formatDuration(450), '450ms');
  t.is(formatDuration(1500), '1.5s');
  t.is(formatDuration(3_723_000), '1h2m3s');
  t.is(formatBytes(1536), '1.5KiB');
  t.is(formatBytes(3 * 1024 ** 3), '3.0GiB');
});

import test from 'ava';
import { dockerSince, LogFrameParser, timestampNanos } from './docker-log-frames.js';

function frame(kind: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

test('parses stdout and stderr entries with their timestamps', (t) => {
  const parser = new LogFrameParser();
  const entries = parser.push(Buffer.concat([frame(1, '2026-11-26T20:44:35.123456789Z hello\n'), frame(2, '2026-11-26T20:44:35.2Z oops\n')]));
  t.deepEqual(entries.map((e) => [e.stream, e.timestamp, e.data.toString()]), [
    ['stdout', '2026-11-26T20:44:35.123456789Z', 'hello\n'],
    ['stderr', '2026-11-26T20:44:35.2Z', 'oops\n'],
  ]);
});

test('a frame split across chunks is joined, byte by byte', (t) => {
  const parser = new LogFrameParser();
  const bytes = Buffer.concat([frame(1, '2026-11-26T20:44:35Z first\n'), frame(1, '2026-11-26T20:44:36Z second\n')]);
  const out: string[] = [];
  for (const byte of bytes) for (const e of parser.push(Buffer.from([byte]))) out.push(e.data.toString());
  t.deepEqual(out, ['first\n', 'second\n']);
});

test('a payload without a timestamp is kept whole', (t) => {
  const [entry] = new LogFrameParser().push(frame(1, 'no stamp here\n'));
  t.is(entry!.timestamp, '');
  t.is(entry!.data.toString(), 'no stamp here\n');
});

test('timestamps compare exactly at nanosecond precision, whatever their length', (t) => {
  t.true(timestampNanos('2026-11-26T20:44:35.25Z') > timestampNanos('2026-11-26T20:44:35.2Z'));
  t.true(timestampNanos('2026-11-26T20:44:35.000000002Z') > timestampNanos('2026-11-26T20:44:35.000000001Z'));
  t.is(timestampNanos('2026-11-26T20:44:35Z') + 1n, timestampNanos('2026-11-26T20:44:35.000000001Z'));
  t.is(timestampNanos('garbage'), 0n);
});

test('since values are seconds and nanoseconds', (t) => {
  t.is(dockerSince('1970-01-01T00:00:10.5Z'), '10.500000000');
  t.is(dockerSince(''), '0');
});

import test from 'ava';
import fc from 'fast-check';
import { safeText } from './safe-text.js';

test('escape sequences and control characters are removed; text, newlines and tabs stay', (t) => {
  t.is(safeText('plain\ttext\nnext line\r\n'), 'plain\ttext\nnext line\r\n');
  t.is(safeText('\x1b[31mred\x1b[0m'), 'red');
  t.is(safeText('\x1b]0;owned title\x07after'), 'after', 'OSC window title');
  t.is(safeText('\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\'), 'click', 'OSC 8 hyperlink');
  t.is(safeText('\x1bP+q544e\x1b\\x'), 'x', 'DCS query');
  t.is(safeText('a\x1b[2J\x1b[Hb'), 'ab', 'clear screen and home');
  t.is(safeText('fake\rreal'), 'fakereal', 'a lone CR cannot overwrite the line');
  t.is(safeText('bell\x07 back\x08 nul\x00 del\x7f'), 'bell back nul del');
  t.is(safeText('\x9b31mc1\x9d0;t\x9c'), 'c1', '8-bit CSI and OSC');
  t.is(safeText('héllo wörld ✓ 日本'), 'héllo wörld ✓ 日本', 'non-ASCII text is kept');
});

test('property: nothing a terminal acts on survives, whatever the input', (t) => {
  // fc.assert throws on the first input whose output still holds a control character (or an ESC).
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (input) => !/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(safeText(input).replace(/\r\n/g, '\n'))),
      { seed: 11, numRuns: 2_000 },
    ),
  );
});

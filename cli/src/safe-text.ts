/**
 * Text a node or a container produced, made safe for a terminal: escape
 * sequences (CSI, OSC such as a window title or a hyperlink, DCS, and the
 * rest) and control characters are removed, except newline and tab. A
 * carriage return survives only as part of CRLF: alone it lets a line
 * overwrite what was printed before it. Streams are cleaned chunk by chunk;
 * a sequence split across chunks loses its ESC, so its tail prints as
 * harmless text.
 */

// ESC-introduced sequences: CSI (ESC [ … final), OSC/DCS/SOS/PM/APC (ESC ] P X ^ _ … BEL or ST), two-character escapes.
const ESCAPE_SEQUENCES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_]|[ -/]*[0-~]?)/g;
// C1 CSI and OSC/DCS introduced by their 8-bit forms.
const C1_SEQUENCES = /[\x90\x98\x9d\x9e\x9f][^\x07\x9c]*(?:\x07|\x9c)?|\x9b[0-?]*[ -/]*[@-~]/g;
// Every other control character but tab and newline; CR unless before LF.
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)/g;

export function safeText(text: string): string {
  return text.replace(ESCAPE_SEQUENCES, '').replace(C1_SEQUENCES, '').replace(CONTROLS, '');
}

export function safeBytes(data: Buffer): Buffer {
  return Buffer.from(safeText(data.toString('utf8')), 'utf8');
}

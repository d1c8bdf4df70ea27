// Python's int() and float() on a scalar's text, as PyYAML's constructors call them under `!!int` and `!!float`
// (yaml11.ts): spaces around the number, a sign, the base's own prefix, other scripts' digits, `inf` and `nan`.
// Integers are exact (bigint): a template's integer may exceed 2^53, and a mapping key keeps every digit.

/** Characters beyond ASCII that Python's str.isspace() takes: int() and float() read them as spaces. */
const PYTHON_SPACE = /[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const DECIMAL_DIGIT = /\p{Nd}/u;

/** A decimal digit of any script as its ASCII digit: Unicode encodes each set of ten in one run, from 0 to 9. */
function asciiDigit(digit: string): string {
  const code = digit.codePointAt(0)!;
  let zero = code;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(zero - 1))) zero -= 1;
  return String((code - zero) % 10);
}

/** The text Python's int() and float() parse: other scripts' digits and spaces as ASCII ones, no spaces around. */
function pythonNumberText(text: string): string {
  const ascii = text.replace(/\P{ASCII}/gu, (char) => (PYTHON_SPACE.test(char) ? ' ' : DECIMAL_DIGIT.test(char) ? asciiDigit(char) : char));
  return ascii.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, '');
}

export type Radix = 2 | 8 | 10 | 16;

/** Python's int(text, radix): a sign, the radix's own prefix (`0x` for 16), digits. */
const INT_TEXT: Readonly<Record<Radix, RegExp>> = {
  2: /^([-+]?)(?:0[bB])?([01]+)$/,
  8: /^([-+]?)(?:0[oO])?([0-7]+)$/,
  10: /^([-+]?)([0-9]+)$/,
  16: /^([-+]?)(?:0[xX])?([0-9a-fA-F]+)$/,
};
/** The prefix BigInt() reads each radix with. */
const BIGINT_PREFIX: Readonly<Record<Radix, string>> = { 2: '0b', 8: '0o', 10: '', 16: '0x' };

export function pythonInt(text: string, radix: Radix): bigint | undefined {
  const match = INT_TEXT[radix].exec(pythonNumberText(text));
  if (match === null) return undefined;
  const value = BigInt(`${BIGINT_PREFIX[radix]}${match[2]}`);
  return match[1] === '-' ? -value : value;
}

/** Python's float(text) of a lowercase text: a sign, a decimal number (exponent sign optional), `inf`, `infinity`, `nan`. */
function pythonFloat(text: string): number | undefined {
  const match = /^([-+]?)(?:((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?)|(inf|infinity)|nan)$/.exec(pythonNumberText(text));
  if (match === null) return undefined;
  const value = match[2] !== undefined ? Number(match[2]) : match[3] !== undefined ? Infinity : NaN;
  return match[1] === '-' ? -value : value;
}

/** Python's int() of each part of a base 60 integer (`1:20:30`), each worth 60 of the next. */
export function sexagesimalInt(text: string): bigint | undefined {
  const parts = text.split(':').map((part) => pythonInt(part, 10));
  return parts.some((part) => part === undefined) ? undefined : parts.reduce<bigint>((total, part) => total * 60n + part!, 0n);
}

/** Python's float() of a text, or of each part of a base 60 one, added up as PyYAML does: from the last part on. */
export function sexagesimalFloat(text: string): number | undefined {
  if (!text.includes(':')) return pythonFloat(text);
  const parts = text.split(':').map(pythonFloat);
  if (parts.some((part) => part === undefined)) return undefined;
  let [value, base] = [0, 1];
  for (const part of parts.reverse()) {
    value += part! * base;
    base *= 60;
  }
  return value;
}

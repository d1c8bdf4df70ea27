// Dates as CloudFormation reads them: PyYAML turns a plain `YYYY-MM-DD` into Python's datetime.date, which knows the
// Gregorian calendar (years 1 to 9999; February 29 only in leap years: every 4th year, but not a century unless it
// is a 4th century) and refuses any other day, so the template does not load. The oracle here is JavaScript's own
// proleptic Gregorian Date, independent of src/cli/yaml11.ts; test/integration/yaml-differential.test.ts compares
// the same forms with cfn-lint's decoder itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CfnYamlError } from '../../../src/cli/errors.js';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { stringifyCfnYaml } from '../../../src/cli/cfn-yaml-writer.js';

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/** Whether (year, month, day) is a day of the Gregorian calendar that Python's datetime.date takes. */
function isCalendarDay(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function loadError(text: string): unknown {
  try {
    parseCfnYaml(text);
  } catch (error) {
    return error;
  }
  return undefined;
}

const dates = fc.record({ year: fc.integer({ min: 0, max: 9999 }), month: fc.integer({ min: 0, max: 13 }), day: fc.integer({ min: 0, max: 32 }) });
/** Around February 29 of every kind of year, where a wrong leap-year rule shows. */
const leapDays = fc.record({ year: fc.integer({ min: 1, max: 9999 }), month: fc.constant(2), day: fc.integer({ min: 28, max: 30 }) });

describe('Function: parseCfnYaml (dates)', () => {
  it.each([
    ['2000-02-29', true],
    ['2024-02-29', true],
    ['1600-02-29', true],
    ['2100-02-29', false],
    ['1900-02-29', false],
    ['2023-02-29', false],
    ['2001-04-31', false],
    ['0000-01-01', false],
  ])('reads %s as a date: %s', (text, valid) => {
    const error = loadError(`a: ${text}\n`);
    if (valid) expect(parseCfnYaml(`a: ${text}\n`)).toEqual({ a: text });
    else expect((error as Error).message).toContain(`timestamp "${text}" is not a calendar date`);
  });

  it('reads a plain date (and a date with a time) exactly when the Gregorian calendar has that day', () => {
    fc.assert(
      fc.property(fc.oneof(dates, leapDays), ({ year, month, day }) => {
        const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
        for (const [text, value] of [
          [date, date],
          [`${date}T10:20:30Z`, `${date}T10:20:30+00:00`],
        ]) {
          const error = loadError(`a: ${text}\n`);
          if (isCalendarDay(year, month, day)) {
            expect(error).toBeUndefined();
            expect(parseCfnYaml(`a: ${text}\n`)).toEqual({ a: value });
          } else {
            expect(error).toBeInstanceOf(CfnYamlError);
            expect((error as Error).message).toContain('is not a calendar date');
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a string that looks like a date so that it reads back as that string, a day or not', () => {
    fc.assert(
      fc.property(fc.oneof(dates, leapDays), ({ year, month, day }) => {
        const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
        expect(parseCfnYaml(stringifyCfnYaml({ a: text }))).toEqual({ a: text });
      }),
      { numRuns: 500 },
    );
  });
});

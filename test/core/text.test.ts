// Host text that reaches a mail header: appName, a sender's name, extra header values (issue 10).
import { describe, expect, it } from 'vitest';
import { headersField } from '../../src/lib/_headers.js';
import { headerTextField, isHeaderText, parseInput } from '../../src/lib/_schema.js';
import { thrown } from './_helpers.js';

describe('isHeaderText', () => {
  it.each([
    ['Acme', true],
    ['Acme Café', true],
    ['株式会社アクメ', true],
    ['شركة أكمي', true], // right-to-left text is fine; only invisible direction controls are refused
    ['Acme 😀', true],
    ['Acme\u2013Labs', true], // en dash is visible
    ['Acme\u00A0Labs', true], // a no-break space is visible as a space
    ['', false],
    ['   ', false],
    ['Acme\r\nBcc: eve@evil.com', false],
    ['Acme\n', false],
    ['Acme\u0000', false],
    ['Acme\u0085', false], // C1 next line
    ['Acme\u2028', false],
    ['\u202EemcA', false], // right-to-left override: shows "Acme", is "emcA"
    ['Acme\u202D', false], // left-to-right override
    ['Acme\u202A', false], // left-to-right embedding
    ['Acme\u202B', false], // right-to-left embedding
    ['Acme\u202C', false], // pop directional formatting
    ['Acme\u2066', false], // left-to-right isolate
    ['Acme\u2067', false], // right-to-left isolate
    ['Acme\u2068', false], // first strong isolate
    ['Acme\u2069', false], // pop directional isolate
    ['Acme\u200E', false], // left-to-right mark
    ['Acme\u200F', false], // right-to-left mark
    ['Acme\u061C', false], // Arabic letter mark
    ['Ac\u200Bme', false], // zero-width space
    ['Ac\u200Cme', false], // zero-width non-joiner
    ['Ac\u200Dme', false], // zero-width joiner
    ['Ac\u2060me', false], // word joiner
    ['Ac\u2062me', false], // invisible times
    ['\uFEFFAcme', false], // BOM
    ['Ac\u00ADme', false], // soft hyphen
    ['Ac\u180Eme', false], // Mongolian vowel separator
  ])('%j → %s', (text, expected) => {
    expect(isHeaderText(text)).toBe(expected);
  });
});

describe('headerTextField and headersField refuse them with INVALID_INPUT', () => {
  it('names the field', () => {
    const schema = headerTextField(64, 'appName');
    expect(parseInput(schema, 'Acme')).toBe('Acme');
    const error = thrown(() => parseInput(schema, '\u202EemcA', 'appName'));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.fields).toEqual(['appName']);
    expect(thrown(() => parseInput(schema, 'x'.repeat(65), 'appName')).code).toBe('INVALID_INPUT');
  });

  it('extra header values', () => {
    expect(parseInput(headersField(), { 'X-Tenant': 'acme' })).toEqual({ 'X-Tenant': 'acme' });
    for (const value of ['ac\u200Bme', '\u202Eacme', 'acme\r\nBcc: eve@evil.com', '']) {
      const error = thrown(() => parseInput(headersField(), { 'X-Tenant': value }, 'headers'));
      expect(error.fields).toEqual(['X-Tenant']);
    }
  });

  it('reads each header value once: a getter cannot pass the check and then send another value', () => {
    let reads = 0;
    const headers = {
      get 'X-Tenant'() {
        reads++;
        return reads === 1 ? 'acme' : 'acme\r\nBcc: eve@evil.com';
      },
    };
    expect(parseInput(headersField(), headers)).toEqual({ 'X-Tenant': 'acme' });
    expect(reads).toBe(1);
  });

  it('a header name that is not letters, digits and "-", or that the message sets, is named', () => {
    for (const name of ['X Tenant', '__proto__', 'Bcc', 'content-type', 'x'.repeat(65)]) {
      const error = thrown(() => parseInput(headersField(), { [name]: 'acme' }, 'headers'));
      expect(error.fields, name).toEqual([name]);
    }
    expect(thrown(() => parseInput(headersField(), ['x'], 'headers')).fields).toEqual(['headers']);
  });
});

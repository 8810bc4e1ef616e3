import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { negotiateLocale, SUPPORTED_LOCALES } from '../../src/index.js';

describe('negotiateLocale', () => {
  it.each([
    // header, expected
    ['de', 'de'],
    ['fr-FR', 'fr'],
    ['de-CH', 'de'],
    ['de-AT', 'de'],
    ['pt-BR,pt;q=0.9', 'pt-BR'],
    ['pt', 'pt-BR'],
    ['pt-PT', 'pt-PT'],
    ['pt-AO', 'pt-PT'],
    ['zh-Hans-CN', 'zh-Hans'],
    ['zh-TW', 'zh-Hant'],
    ['zh-HK', 'zh-Hant'],
    ['zh-Hant-HK', 'zh-Hant'],
    ['zh', 'zh-Hans'],
    ['ZH_cn', 'zh-Hans'],
    ['ar-EG', 'ar'],
    ['he-IL', 'he'],
    ['iw', 'he'],
    ['nn-NO', 'nb'],
    ['sr, hr;q=0.9', 'en'],
    ['en-US,en;q=0.9', 'en'],
    ['fr;q=0.5, de;q=0.9', 'de'],
    ['sw, fr;q=0.8, de;q=0.7', 'fr'], // unsupported first choice: the next best
    ['nl;q=0.8, pl;q=0.8', 'nl'], // equal quality: header order
    ['ja;q=0.1, *;q=0.5', 'en'], // * outranks: anything goes, so English
    ['*', 'en'],
    ['en;q=0, fr', 'fr'],
    ['fr;q=0', 'en'], // q=0 means "not acceptable"
    ['fr;q=0.000', 'en'],
    ['it;q=1.000', 'it'],
    ['es;Q=0.9, it;q=0.8', 'es'],
    ['de;q=1.5, es;q=0.2', 'es'], // invalid q: the range is ignored
    ['de;q=abc, es', 'es'],
    ['  pl  ;  q=0.7 ,  nl;q=0.6', 'pl'],
    ['x-klingon, i-default', 'en'],
    ['', 'en'],
    [';;;,,,', 'en'],
    ['q=1', 'en'],
    ['<script>', 'en'],
    ['de-', 'en'],
    ['123', 'en'],
    ['deu', 'en'], // three-letter codes are other languages' tags; not guessed
  ])('Accept-Language %j → %s', (header, expected) => {
    expect(negotiateLocale(undefined, header)).toBe(expected);
  });

  it('prefers an explicit, supported locale over the header', () => {
    expect(negotiateLocale('fr', 'de')).toBe('fr');
    expect(negotiateLocale('pt-BR', 'de')).toBe('pt-BR');
    expect(negotiateLocale('zh-TW', 'de')).toBe('zh-Hant');
    expect(negotiateLocale('xx', 'de')).toBe('de');
    expect(negotiateLocale('', 'ja')).toBe('ja');
    expect(negotiateLocale('EN')).toBe('en');
    expect(negotiateLocale()).toBe('en');
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (a, b) => {
        expect(SUPPORTED_LOCALES).toContain(negotiateLocale(a as string, b as string));
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(SUPPORTED_LOCALES).toContain(negotiateLocale(a, b));
      }),
    );
  });

  it('reads only a bounded prefix of a very long header', () => {
    const hostile = [
      `${'a,'.repeat(2_000_000)}de`,
      `de;q=0.1,${'x;'.repeat(1_000_000)}`,
      `${'-'.repeat(4_000_000)}`,
      `${'zh-'.repeat(1_000_000)}`,
    ];
    // Speed is measured in bench/, not here; this holds the answers a bounded reader gives.
    expect(hostile.map((header) => negotiateLocale(undefined, header))).toEqual([
      'en',
      'de',
      'en',
      'zh-Hans',
    ]);
    // Ranges far past the bound are not read: only the first 1 KiB counts.
    expect(negotiateLocale(undefined, `${'xx;q=0.1,'.repeat(200)}de`)).toBe('en');
  });
});

import { fromE2bKeySpelling, toE2bKeySpelling } from '../../lib/e2b-key-spelling';

test('a key spelt e2b_<hex> reads back as itself; anything else is taken as it is', () => {
  const key = 'ak_0123456789abcdef_AbC-d_eF';
  const spelt = toE2bKeySpelling(key);
  expect(spelt).toMatch(/^e2b_[0-9a-f]+$/);
  expect(fromE2bKeySpelling(spelt)).toBe(key);
  expect(fromE2bKeySpelling(key)).toBe(key);
  // Odd length or upper case is no spelling: passed on unchanged, so it fails as the key it is.
  for (const token of ['e2b_abc', 'e2b_ABCD', 'e2b_', 'e2b_zz']) expect(fromE2bKeySpelling(token)).toBe(token);
});

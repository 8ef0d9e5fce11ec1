/**
 * An Airlock key spelt as older E2B SDKs insist a key looks (`e2b_` and lowercase hex: JS before
 * 2.51, Python before 2.63 refuse anything else unless told not to check). It is the same key,
 * hex-encoded: it grants nothing the key does not.
 */
const PREFIX = 'e2b_';
const SPELT = /^e2b_(?:[0-9a-f]{2})+$/;

export function toE2bKeySpelling(key: string): string {
  return PREFIX + Buffer.from(key, 'utf8').toString('hex');
}

/** The key a presented token spells, or the token itself when it is not so spelt. */
export function fromE2bKeySpelling(presented: string): string {
  return SPELT.test(presented) ? Buffer.from(presented.slice(PREFIX.length), 'hex').toString('utf8') : presented;
}

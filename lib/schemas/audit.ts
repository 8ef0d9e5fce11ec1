import { z } from 'zod';

/** One of the deployment's audit signing keys, as `GET /v1/audit/keys` lists it. */
export const PublicAuditKey = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  algorithm: z.literal('ed25519'),
  /** SPKI, PEM. */
  publicKey: z.string(),
  createdAt: z.string(),
  /** When a newer key took over sealing; null for the active key. */
  retiredAt: z.string().nullable(),
});
export type PublicAuditKey = z.infer<typeof PublicAuditKey>;

/**
 * Temporal's remote codec protocol (`POST .../encode`, `POST .../decode`, payloads as proto-JSON),
 * so the Temporal UI and `temporal workflow show --codec-endpoint` can show what Airlock stores
 * encrypted. It reads every tenant's payloads, so it takes the `codec` scope, which no tenant's
 * admin can grant itself: only `airlock keys create --scopes codec` makes such a key.
 */
import cors from 'cors';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { requireScope } from '../auth';
import { jsonBody } from '../body';
import { HttpError } from '../errors';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const Base64 = z.string().regex(BASE64, 'must be base64');
const CodecRequest = z.strictObject({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), Base64).optional(), data: Base64.optional() }))
    .max(10_000),
});
type JsonPayload = z.infer<typeof CodecRequest>['payloads'][number];

/** A history page's payloads, base64 in JSON: larger than any one request Airlock takes. */
const CODEC_BODY_LIMIT = 8 * 1024 * 1024;

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

/** The browser UI calls from its own origin: these origins may (AIRLOCK_CODEC_CORS_ORIGINS). Before the key check: a preflight carries none. */
export function codecCors(origins: string[]): RequestHandler {
  return cors({
    origin: origins,
    methods: ['POST'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Namespace'],
    maxAge: 600,
  });
}

export function codecRoutes({ codec, namespace }: { codec: PayloadCodec; namespace: string }): Router {
  const router = Router();
  router.use(requireScope('codec'));
  router.use(jsonBody(CODEC_BODY_LIMIT));

  const route = (name: 'encode' | 'decode') =>
    router.post(`/${name}`, async (req, res) => {
      const asked = req.get('x-namespace');
      if (asked !== undefined && asked !== namespace)
        throw HttpError.invalid('header.X-Namespace', `must be "${namespace}", the namespace this deployment uses`);
      const parsed = CodecRequest.safeParse(req.body);
      if (!parsed.success) throw HttpError.fromZod(parsed.error, 'body');
      const out: Payload[] = [];
      // One by one, so a payload that does not decrypt is named.
      for (const [i, payload] of parsed.data.payloads.entries()) {
        try {
          out.push(...(await codec[name]([fromJson(payload)])));
        } catch (err) {
          throw new HttpError(400, 'undecodable', `body.payloads.${i}: ${(err as Error).message}`, [
            { field: `body.payloads.${i}`, message: (err as Error).message },
          ]);
        }
      }
      res.json({ payloads: out.map(toJson) });
    });
  route('encode');
  route('decode');
  return router;
}

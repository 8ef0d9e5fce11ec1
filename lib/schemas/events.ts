import { z } from 'zod';

/** One Server-Sent Event of an execution's or a sandbox step's live stream. `id` increases by one. */
export const LiveEvent = z.discriminatedUnion('type', [
  z.object({
    id: z.number().int(),
    type: z.literal('stage'),
    data: z.object({ stage: z.string(), status: z.string(), detail: z.string().nullable() }),
  }),
  z.object({
    id: z.number().int(),
    type: z.literal('stdout'),
    data: z.object({ stage: z.string(), text: z.string() }),
  }),
  z.object({
    id: z.number().int(),
    type: z.literal('stderr'),
    data: z.object({ stage: z.string(), text: z.string() }),
  }),
  z.object({
    id: z.number().int(),
    type: z.literal('end'),
    data: z.object({ status: z.string(), result: z.unknown() }),
  }),
]);
export type LiveEvent = z.infer<typeof LiveEvent>;
export type LiveEventType = LiveEvent['type'];
